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
  const text = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  if (text.length === 0) return;
  try {
    out.push(JSON.parse(text));
  } catch (cause) {
    if (text.trim() === '') return;
    const shown = text.length > 200 ? `${text.slice(0, 200)}...` : text;
    throw new StreamError(`malformed JSON line in the engine's stream: ${shown}`, { cause });
  }
}

/**
 * Feeds every value of a byte stream of JSON lines to `onValue`, one await per chunk (not per
 * line): the fast path for the client's own progress streams.
 */
export async function eachJsonLine(
  source: AsyncIterable<Uint8Array>,
  onValue: (value: unknown) => void,
): Promise<void> {
  const decoder = new JsonLineDecoder();
  for await (const chunk of source) {
    for (const value of decoder.push(chunk)) onValue(value);
  }
  for (const value of decoder.end()) onValue(value);
}

/** Parses a byte stream of JSON lines into values. */
export async function* jsonLines(source: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new JsonLineDecoder();
  for await (const chunk of source) {
    yield* decoder.push(chunk);
  }
  yield* decoder.end();
}
