import { StringDecoder } from 'node:string_decoder';

/**
 * Turns output chunks into whole lines, per stream; `flush` emits what is left at the end.
 * Bytes are decoded per stream with a streaming UTF-8 decoder, so a character split across two
 * chunks is joined, not replaced.
 */
export class LineSplitter {
  readonly #pending = new Map<string, string>();
  readonly #decoders = new Map<string, StringDecoder>();
  readonly #emit: (stream: 'stdout' | 'stderr', line: string) => void;

  constructor(emit: (stream: 'stdout' | 'stderr', line: string) => void) {
    this.#emit = emit;
  }

  push(stream: 'stdout' | 'stderr', data: Buffer | string): void {
    let decoded: string;
    if (typeof data === 'string') {
      decoded = data;
    } else {
      let decoder = this.#decoders.get(stream);
      if (!decoder) {
        decoder = new StringDecoder('utf8');
        this.#decoders.set(stream, decoder);
      }
      decoded = decoder.write(data);
    }
    const text = (this.#pending.get(stream) ?? '') + decoded;
    const lines = text.split(/\r?\n/);
    this.#pending.set(stream, lines.pop() ?? '');
    for (const line of lines) this.#emit(stream, line);
  }

  flush(): void {
    for (const [stream, decoder] of this.#decoders) {
      const tail = decoder.end();
      if (tail) this.#pending.set(stream, (this.#pending.get(stream) ?? '') + tail);
    }
    this.#decoders.clear();
    for (const [stream, rest] of this.#pending) {
      if (rest.length > 0) this.#emit(stream as 'stdout' | 'stderr', rest);
    }
    this.#pending.clear();
  }
}
