/**
 * A fake engine: node:http on a temporary unix socket, for protocol edge cases a real daemon will
 * not produce on demand. It answers /_ping like a daemon (Api-Version header) unless told otherwise,
 * records every request, and routes the rest to the test's handler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';

export interface FakeEngine {
  host: string;
  /** "METHOD /path?query" of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

export interface FakeEngineOptions {
  apiVersion?: string;
  /** Answer HEAD /_ping with this status (to exercise the GET fallback). */
  headPingStatus?: number;
  handler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Upgrade requests (attach): the raw socket, to write an HTTP answer by hand. */
  upgrade?: (req: IncomingMessage, socket: Socket) => void;
}

export async function fakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngine> {
  // In /tmp, not TMPDIR: a socket path must stay short, and a test acting as nobody must reach
  // it (tools/ put TMPDIR in root's home).
  const dir = mkdtempSync(join('/tmp', 'imgext-fake-'));
  const socketPath = join(dir, 'engine.sock');
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url === '/_ping') {
      if (req.method === 'HEAD' && opts.headPingStatus) {
        res.writeHead(opts.headPingStatus).end();
        return;
      }
      res.writeHead(200, { 'Api-Version': opts.apiVersion ?? '1.45', OSType: 'linux' });
      res.end(req.method === 'GET' ? 'OK' : undefined);
      return;
    }
    if (opts.handler) opts.handler(req, res);
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no route"}');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    requests.push(`${req.method} ${req.url}`);
    if (opts.upgrade) opts.upgrade(req, socket);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `parts` as separate chunks, with a pause between them so they arrive apart. */
export async function writeApart(
  res: ServerResponse | Socket,
  parts: Buffer[] | string[],
): Promise<void> {
  for (const part of parts) {
    res.write(part);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
