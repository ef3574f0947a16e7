/**
 * gRPC's message framing on an HTTP/2 stream: each message is a 1-byte compressed flag, a 4-byte
 * big-endian length and the protobuf bytes. We never compress (we announce no
 * grpc-accept-encoding), so a compressed message from the peer is a protocol error.
 */
import { GrpcCode, GrpcStatus } from './grpc-status.js';

/** Frames one message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Splits the bytes of a stream into messages, whatever the chunking. */
export class GrpcFrameReader {
  readonly #maxMessage: number;
  #buffered: Buffer[] = [];
  #length = 0;

  constructor(maxMessage = 16 * 1024 * 1024) {
    this.#maxMessage = maxMessage;
  }

  /** Bytes left over that do not yet form a whole message. */
  get pending(): number {
    return this.#length;
  }

  /** Adds a chunk; returns the messages it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#buffered.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#length += chunk.byteLength;
    const out: Uint8Array[] = [];
    while (this.#length >= 5) {
      const head = this.#peek(5);
      if (head[0] !== 0)
        throw new GrpcStatus(
          GrpcCode.INVALID_ARGUMENT,
          'a compressed gRPC message (none was negotiated)',
        );
      const size = head.readUInt32BE(1);
      if (size > this.#maxMessage) {
        throw new GrpcStatus(
          GrpcCode.RESOURCE_EXHAUSTED,
          `a gRPC message of ${size} bytes (the limit is ${this.#maxMessage})`,
        );
      }
      if (this.#length < 5 + size) break;
      const whole = this.#take(5 + size);
      out.push(whole.subarray(5));
    }
    return out;
  }

  #peek(n: number): Buffer {
    if (this.#buffered[0]!.length >= n) return this.#buffered[0]!;
    this.#buffered = [Buffer.concat(this.#buffered)];
    return this.#buffered[0]!;
  }

  #take(n: number): Buffer {
    const all = this.#peek(n);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#buffered = rest.length > 0 ? [rest] : [];
    this.#length -= n;
    return taken;
  }
}
