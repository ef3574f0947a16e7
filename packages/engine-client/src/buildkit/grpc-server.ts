/**
 * The few pieces of a gRPC server that a BuildKit session needs, on an HTTP/2 session where the
 * daemon is the client: routing by `:path`, request metadata, framed messages in both directions
 * with backpressure, and the status in trailers. Unary and bidirectional streaming calls alike
 * are a handler that reads `messages()` and calls `send()`.
 */
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { GrpcFrameReader, grpcFrame } from './grpc-frames.js';
import { GrpcCode, GrpcStatus } from './grpc-status.js';

/** Request metadata: lower-cased keys, every value of a repeated key in order. */
export type GrpcMetadata = ReadonlyMap<string, readonly string[]>;

export interface GrpcCall {
  readonly path: string;
  readonly metadata: GrpcMetadata;
  /** Aborted when the peer cancels the call or the connection goes. */
  readonly signal: AbortSignal;
  /** The request messages until the peer half-closes. */
  messages(): AsyncIterable<Uint8Array>;
  /** Sends one message; resolves when the stream can take more (backpressure). */
  send(message: Uint8Array): Promise<void>;
}

export type GrpcHandler = (call: GrpcCall) => Promise<void>;

/** Percent-encodes a grpc-message value as the gRPC HTTP/2 spec asks. */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The metadata of a request, from its raw header list (repeated keys kept apart). */
export function metadataOf(
  rawHeaders: readonly string[] | undefined,
  headers: IncomingHttpHeaders,
): GrpcMetadata {
  const out = new Map<string, string[]>();
  if (rawHeaders && rawHeaders.length > 0) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const key = rawHeaders[i]!.toLowerCase();
      if (key.startsWith(':')) continue;
      const list = out.get(key) ?? [];
      list.push(rawHeaders[i + 1]!);
      out.set(key, list);
    }
    return out;
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(':') || value === undefined) continue;
    out.set(key, Array.isArray(value) ? value : [String(value)]);
  }
  return out;
}

export interface GrpcServerOptions {
  /** A handler failed with something other than a GrpcStatus (reported, then answered 13). */
  onHandlerError?: (path: string, err: unknown) => void;
}

/** Serves `handlers` (keyed by '/package.Service/Method') on an HTTP/2 server session. */
export function serveGrpc(
  session: ServerHttp2Session,
  handlers: ReadonlyMap<string, GrpcHandler>,
  options: GrpcServerOptions = {},
): void {
  // Node passes the raw header list as a fourth argument (its types stop at three): repeated
  // metadata keys (include-patterns...) stay apart there instead of joined with ', '.
  const onStream = (
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    _flags: number,
    rawHeaders?: string[],
  ) => {
    const path = String(headers[':path'] ?? '');
    const handler = handlers.get(path);
    if (!handler || headers[':method'] !== 'POST') {
      trailersOnly(stream, GrpcCode.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    const metadata = metadataOf(rawHeaders, headers);
    void runCall(stream, path, metadata, handler, options);
  };
  session.on(
    'stream',
    onStream as (s: ServerHttp2Stream, h: IncomingHttpHeaders, f: number) => void,
  );
}

function trailersOnly(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': encodeGrpcMessage(message),
    },
    { endStream: true },
  );
  stream.resume();
}

async function runCall(
  stream: ServerHttp2Stream,
  path: string,
  metadata: GrpcMetadata,
  handler: GrpcHandler,
  options: GrpcServerOptions,
): Promise<void> {
  const controller = new AbortController();
  const abort = () =>
    controller.abort(new GrpcStatus(GrpcCode.CANCELLED, 'the call was cancelled'));
  stream.once('aborted', abort);
  stream.once('close', abort);
  stream.on('error', abort);
  let responded = false;
  const respond = () => {
    if (responded || stream.destroyed) return;
    responded = true;
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc' },
      { waitForTrailers: true },
    );
  };
  const call: GrpcCall = {
    path,
    metadata,
    signal: controller.signal,
    messages: () => readMessages(stream, controller.signal),
    async send(message) {
      if (controller.signal.aborted) throw controller.signal.reason;
      respond();
      if (!stream.write(grpcFrame(message))) {
        await new Promise<void>((resolve, reject) => {
          const done = () => {
            stream.off('drain', done);
            controller.signal.removeEventListener('abort', fail);
            resolve();
          };
          const fail = () => {
            stream.off('drain', done);
            reject(controller.signal.reason);
          };
          stream.on('drain', done);
          controller.signal.addEventListener('abort', fail, { once: true });
        });
      }
    },
  };
  let code: number = GrpcCode.OK;
  let message = '';
  try {
    await handler(call);
  } catch (err) {
    if (err instanceof GrpcStatus) {
      code = err.grpcCode;
      message = err.message;
    } else {
      options.onHandlerError?.(path, err);
      code = GrpcCode.INTERNAL;
      message = err instanceof Error ? err.message : String(err);
    }
  }
  if (stream.destroyed || stream.closed) return;
  if (!responded) {
    trailersOnly(stream, code, message);
    return;
  }
  stream.once('wantTrailers', () => {
    const trailers: Record<string, string> = { 'grpc-status': String(code) };
    if (message) trailers['grpc-message'] = encodeGrpcMessage(message);
    stream.sendTrailers(trailers);
  });
  stream.end();
  // Whatever the peer still sends on its half is of no interest now.
  stream.resume();
}

/**
 * The request messages. Not `for await` over the stream itself: leaving such a loop early would
 * destroy the HTTP/2 stream before our answer and trailers are sent.
 */
function readMessages(stream: ServerHttp2Stream, signal: AbortSignal): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const reader = new GrpcFrameReader();
      const queue: Uint8Array[] = [];
      let ended = false;
      let failure: { err: unknown } | undefined;
      let wake: (() => void) | undefined;
      const notify = () => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const onData = (chunk: Buffer) => {
        try {
          queue.push(...reader.push(chunk));
        } catch (err) {
          failure ??= { err };
        }
        if (queue.length > 16) stream.pause();
        notify();
      };
      const onEnd = () => {
        ended = true;
        if (reader.pending > 0) {
          failure ??= {
            err: new GrpcStatus(GrpcCode.INVALID_ARGUMENT, 'the request ended inside a message'),
          };
        }
        notify();
      };
      const onAbort = () => {
        failure ??= { err: signal.reason };
        notify();
      };
      const cleanup = () => {
        stream.off('data', onData);
        stream.off('end', onEnd);
        signal.removeEventListener('abort', onAbort);
      };
      stream.on('data', onData);
      stream.on('end', onEnd);
      signal.addEventListener('abort', onAbort, { once: true });
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          for (;;) {
            const message = queue.shift();
            if (message !== undefined) {
              if (queue.length <= 4 && stream.isPaused()) stream.resume();
              return { value: message, done: false };
            }
            if (failure) {
              cleanup();
              throw failure.err;
            }
            if (ended) {
              cleanup();
              return { value: undefined, done: true };
            }
            if (stream.isPaused()) stream.resume();
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          cleanup();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
