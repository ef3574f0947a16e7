/**
 * The demultiplexer for the daemon's multiplexed streams (logs and attach of a container without
 * a TTY): each frame is an 8-byte header `[type, 0, 0, 0, size u32 BE]` then `size` bytes.
 * Types: 0 stdin (reported as stdout, as docker's stdcopy does), 1 stdout, 2 stderr, 3 a daemon
 * error (thrown as a StreamError). Frames may be split across chunks anywhere; a payload held in
 * one chunk is returned as a view of it (no copy), a split one is copied once into its own buffer.
 */
import type { OutputChunk } from '../api.js';
import { StreamError } from '../errors.js';

const HEADER = 8;
const STREAMS: Record<number, OutputChunk['stream']> = { 0: 'stdout', 1: 'stdout', 2: 'stderr' };

export class FrameDecoder {
  readonly #header = Buffer.alloc(HEADER);
  #headerFill = 0;
  #type = -1;
  /** The payload being assembled across chunks, and how much of it is filled. */
  #payload: Buffer | undefined;
  #payloadFill = 0;

  /** Set by a type-3 frame: the frames before it are still returned, then this is thrown. */
  failure: StreamError | undefined;

  /**
   * Feeds one chunk; returns the frames it completed, in order. A type-3 frame stops decoding and
   * sets `failure` (thrown by the next push or end).
   */
  push(input: Uint8Array): OutputChunk[] {
    if (this.failure) throw this.failure;
    const chunk = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const out: OutputChunk[] = [];
    let pos = 0;
    const len = chunk.length;
    while (pos < len && !this.failure) {
      if (this.#payload !== undefined) {
        const need = this.#payload.length - this.#payloadFill;
        const n = Math.min(need, len - pos);
        chunk.copy(this.#payload, this.#payloadFill, pos, pos + n);
        this.#payloadFill += n;
        pos += n;
        if (this.#payloadFill === this.#payload.length) {
          this.#emit(this.#payload, out);
          this.#payload = undefined;
        }
        continue;
      }
      let size: number;
      if (this.#headerFill === 0 && len - pos >= HEADER) {
        this.#type = chunk[pos]!;
        size = chunk.readUInt32BE(pos + 4);
        pos += HEADER;
      } else {
        const n = Math.min(HEADER - this.#headerFill, len - pos);
        chunk.copy(this.#header, this.#headerFill, pos, pos + n);
        this.#headerFill += n;
        pos += n;
        if (this.#headerFill < HEADER) break;
        this.#headerFill = 0;
        this.#type = this.#header[0]!;
        size = this.#header.readUInt32BE(4);
      }
      if (this.#type > 3) {
        throw new StreamError(`bad frame type ${this.#type} in the engine's multiplexed stream`);
      }
      if (len - pos >= size) {
        this.#emit(chunk.subarray(pos, pos + size), out);
        pos += size;
      } else {
        this.#payload = Buffer.allocUnsafe(size);
        this.#payloadFill = 0;
      }
    }
    return out;
  }

  /** Checks that the stream did not stop in the middle of a frame. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.#headerFill > 0 || this.#payload !== undefined) {
      throw new StreamError("the engine's multiplexed stream ended in the middle of a frame");
    }
  }

  #emit(data: Buffer, out: OutputChunk[]): void {
    if (this.#type === 3) {
      const message = data.toString('utf8').trim();
      this.failure = new StreamError(`the engine reported an error in the stream: ${message}`, {
        daemonMessage: message,
      });
      return;
    }
    if (data.length > 0) out.push({ stream: STREAMS[this.#type]!, data });
  }
}

/** Demultiplexes a byte stream of frames into output chunks. */
export async function* demux(source: AsyncIterable<Uint8Array>): AsyncGenerator<OutputChunk> {
  const decoder = new FrameDecoder();
  for await (const chunk of source) {
    yield* decoder.push(chunk);
    if (decoder.failure) throw decoder.failure;
  }
  decoder.end();
}

/** A raw (TTY) stream: everything is stdout. */
export async function* raw(source: AsyncIterable<Uint8Array>): AsyncGenerator<OutputChunk> {
  for await (const chunk of source) {
    const data = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (data.length > 0) yield { stream: 'stdout', data };
  }
}
