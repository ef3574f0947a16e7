/**
 * A fake daemon for BuildKit session edge cases a real one will not produce on demand (a session
 * dropped mid-build, a file asked for after it vanished...): it accepts `POST /session` like
 * dockerd (101, then it is the HTTP/2 client on the hijacked socket), can call FileSync.DiffCopy
 * on it like BuildKit's receiver, and answers `POST /build` as the test says.
 */
import { chmodSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ClientHttp2Session, type ClientHttp2Stream, connect as h2connect } from 'node:http2';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import {
  decodePacket,
  encodePacket,
  type FsPacket,
  PacketType,
} from '../src/buildkit/fsutil-packet.js';
import { GrpcFrameReader, grpcFrame } from '../src/buildkit/grpc-frames.js';
import { type FakeEngine, fakeEngine } from './fake-engine.js';

export interface FakeSession {
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  h2: ClientHttp2Session;
  socket: Socket;
}

export interface FakeBuildkit extends FakeEngine {
  /** The session the client opened (resolves once upgraded). */
  session: Promise<FakeSession>;
}

export async function fakeBuildkit(
  onBuild: (req: IncomingMessage, res: ServerResponse, session: FakeSession) => Promise<void>,
): Promise<FakeBuildkit> {
  let resolveSession: (s: FakeSession) => void = () => {};
  const session = new Promise<FakeSession>((resolve) => {
    resolveSession = resolve;
  });
  const engine = await fakeEngine({
    upgrade(req, socket) {
      if (!req.url?.endsWith('/session')) {
        socket.destroy();
        return;
      }
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n',
      );
      const h2 = h2connect('http://localhost', { createConnection: () => socket });
      h2.on('error', () => {});
      resolveSession({ headers: req.headers, rawHeaders: req.rawHeaders, h2, socket });
    },
    handler(req, res) {
      if (req.url?.includes('/build/cancel')) {
        res.writeHead(200).end();
        return;
      }
      if (req.url?.includes('/build?')) {
        void session.then((s) =>
          onBuild(req, res, s).catch((err: unknown) => {
            res.destroy(err as Error);
          }),
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no route"}');
    },
  });
  // the client may connect as another user (see the unreadable-file test)
  const socketPath = engine.host.replace(/^unix:\/\//, '');
  chmodSync(dirname(socketPath), 0o755);
  chmodSync(socketPath, 0o777);
  return { ...engine, session };
}

/** One JSON line of a /build answer. */
export function line(value: object): string {
  return `${JSON.stringify(value)}\n`;
}

/** A DiffCopy call from the fake daemon's side: packets in, packets out, the final status. */
export interface FakeDiffCopy {
  send(packet: Partial<FsPacket> & { type: FsPacket['type'] }): void;
  /** Ends our half (as the daemon does after FIN). */
  end(): void;
  next(): Promise<FsPacket | undefined>;
  status: Promise<{ code: number; message: string }>;
}

export function diffCopy(
  h2: ClientHttp2Session,
  metadata: Record<string, string | string[]>,
): FakeDiffCopy {
  const stream: ClientHttp2Stream = h2.request({
    ':method': 'POST',
    ':path': '/moby.filesync.v1.FileSync/DiffCopy',
    'content-type': 'application/grpc',
    te: 'trailers',
    ...metadata,
  });
  const reader = new GrpcFrameReader();
  const queue: FsPacket[] = [];
  const waiters: ((p: FsPacket | undefined) => void)[] = [];
  let ended = false;
  const flush = () => {
    while (waiters.length > 0 && (queue.length > 0 || ended)) waiters.shift()!(queue.shift());
  };
  stream.on('data', (chunk: Buffer) => {
    for (const message of reader.push(chunk)) queue.push(decodePacket(message));
    flush();
  });
  const status = new Promise<{ code: number; message: string }>((resolve) => {
    const fromHeaders = (headers: Record<string, unknown>) => {
      if (headers['grpc-status'] === undefined) return false;
      resolve({
        code: Number(headers['grpc-status']),
        message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
      });
      return true;
    };
    stream.on('response', (headers) => fromHeaders(headers));
    stream.on('trailers', (headers) => fromHeaders(headers));
    stream.on('close', () => resolve({ code: -1, message: 'closed without a status' }));
  });
  stream.on('end', () => {
    ended = true;
    flush();
  });
  stream.on('close', () => {
    ended = true;
    flush();
  });
  stream.on('error', () => {});
  return {
    send(packet) {
      stream.write(grpcFrame(encodePacket(packet)));
    },
    end() {
      stream.end();
    },
    next() {
      return new Promise((resolve) => {
        waiters.push(resolve);
        flush();
      });
    },
    status,
  };
}

/** Reads the listing up to its closing empty STAT. */
export async function readListing(call: FakeDiffCopy): Promise<FsPacket[]> {
  const stats: FsPacket[] = [];
  for (;;) {
    const p = await call.next();
    if (!p) throw new Error('the listing ended without its closing STAT');
    if (p.type === PacketType.ERR) throw new Error(`ERR: ${Buffer.from(p.data).toString()}`);
    if (p.type !== PacketType.STAT) throw new Error(`unexpected packet type ${p.type}`);
    if (!p.stat) return stats;
    stats.push(p);
  }
}

export { PacketType };

/** A unary call from the fake daemon: the answer's message (if any) and status. */
export async function unary(
  h2: ClientHttp2Session,
  path: string,
  request: Uint8Array,
): Promise<{ message: Uint8Array | undefined; code: number; text: string }> {
  const stream = h2.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.end(grpcFrame(request));
  const reader = new GrpcFrameReader();
  const messages: Uint8Array[] = [];
  let status = { code: -1, text: '' };
  const take = (headers: Record<string, unknown>) => {
    if (headers['grpc-status'] !== undefined) {
      status = {
        code: Number(headers['grpc-status']),
        text: decodeURIComponent(String(headers['grpc-message'] ?? '')),
      };
    }
  };
  stream.on('response', take);
  stream.on('trailers', take);
  stream.on('data', (chunk: Buffer) => messages.push(...reader.push(chunk)));
  await new Promise<void>((resolve) => stream.on('close', () => resolve()));
  return { message: messages[0], ...status };
}
