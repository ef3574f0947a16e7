/** Turns output chunks into whole lines, per stream; `flush` emits what is left at the end. */
export class LineSplitter {
  readonly #pending = new Map<string, string>();
  readonly #emit: (stream: 'stdout' | 'stderr', line: string) => void;

  constructor(emit: (stream: 'stdout' | 'stderr', line: string) => void) {
    this.#emit = emit;
  }

  push(stream: 'stdout' | 'stderr', data: Buffer | string): void {
    const text = (this.#pending.get(stream) ?? '') + data.toString();
    const lines = text.split(/\r?\n/);
    this.#pending.set(stream, lines.pop() ?? '');
    for (const line of lines) this.#emit(stream, line);
  }

  flush(): void {
    for (const [stream, rest] of this.#pending) {
      if (rest.length > 0) this.#emit(stream as 'stdout' | 'stderr', rest);
    }
    this.#pending.clear();
  }
}
