/**
 * An incremental parser for the daemon's JSON-lines streams (/build, /images/create, push, load,
 * events): lines may be split across chunks anywhere (even inside a UTF-8 sequence), end with
 * `\n` or `\r\n`, and blank lines are skipped. A malformed line is a StreamError, never a crash.
 */
import { StringDecoder } from 'node:string_decoder';
import { StreamError } from '../errors.js';

export class JsonLineDecoder {
  readonly #decoder = new StringDecoder('utf8');
  /** Text after the last newline, kept as parts so a long line costs linear time. */
  #parts: string[] = [];

  /** Feeds one chunk; returns the values of the lines it completed, in order. */
  push(chunk: Uint8Array | string): unknown[] {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk as Buffer);
    const out: unknown[] = [];
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      let line = text.slice(start, nl);
      if (this.#parts.length > 0) {
        this.#parts.push(line);
        line = this.#parts.join('');
        this.#parts = [];
      }
      parseInto(line, out);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    if (start < text.length) this.#parts.push(start === 0 ? text : text.slice(start));
    return out;
  }

  /** Flushes a last line that had no newline. */
  end(): unknown[] {
    const rest = this.#parts.join('') + this.#decoder.end();
    this.#parts = [];
    const out: unknown[] = [];
    parseInto(rest, out);
    return out;
  }
}

function parseInto(line: string, out: unknown[]): void {
  const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (trimmed.trim() === '') return;
  try {
    out.push(JSON.parse(trimmed));
  } catch (cause) {
    const shown = trimmed.length > 200 ? `${trimmed.slice(0, 200)}...` : trimmed;
    throw new StreamError(`malformed JSON line in the engine's stream: ${shown}`, { cause });
  }
}

/** Parses a byte stream of JSON lines into values. */
export async function* jsonLines(source: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new JsonLineDecoder();
  for await (const chunk of source) {
    yield* decoder.push(chunk);
  }
  yield* decoder.end();
}
