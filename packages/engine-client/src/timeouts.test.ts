/** Connect and response-header timeouts: an endpoint that accepts and never answers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeEngine } from '../test/fake-engine.js';
import { EngineClient } from './client.js';
import { EngineTimeoutError } from './errors.js';

/** A listener that accepts connections and never writes a byte. */
async function silentListener(
  listen: (server: Server) => Promise<string>,
): Promise<{ host: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  const host = await listen(server);
  return {
    host,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('header timeout', () => {
  it('a silent TCP listener on 127.0.0.1 fails with EngineTimeoutError naming the host', async () => {
    const silent = await silentListener(
      (server) =>
        new Promise((resolve) =>
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            resolve(`tcp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
          }),
        ),
    );
    cleanups.push(() => silent.close());
    const client = new EngineClient({ host: silent.host, env: {}, timeouts: { headers: 300 } });
    cleanups.push(() => client.close());
    const err = await client.info().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineTimeoutError);
    expect(err).toMatchObject({ code: 'ENGINE_TIMEOUT', phase: 'headers', timeoutMs: 300 });
    expect((err as Error).message).toContain(silent.host);
    expect((err as Error).message).toContain('/_ping');
    expect((err as EngineTimeoutError).hint).toMatch(/timeouts\.headers/);
  });

  it('a unix socket that accepts and never answers fails the same way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imgext-silent-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'silent.sock');
    const silent = await silentListener(
      (server) => new Promise((resolve) => server.listen(path, () => resolve(`unix://${path}`))),
    );
    cleanups.push(() => silent.close());
    // pinned: no negotiation, so the timed request is the call itself
    const client = new EngineClient({
      host: silent.host,
      env: {},
      apiVersion: '1.41',
      timeouts: { headers: 300 },
    });
    cleanups.push(() => client.close());
    const err = await client.containers.inspect('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineTimeoutError);
    expect((err as Error).message).toMatch(/did not answer GET \/containers\/x\/json within 300ms/);
  });

  it('a stream is not timed once its headers arrived', async () => {
    const engine = await fakeEngine({
      handler: (req, res) => {
        if (!req.url?.includes('/events')) return void res.end('{}');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        // quiet for longer than the header timeout, then one event
        setTimeout(() => {
          res.end(
            '{"Type":"container","Action":"start","Actor":{"ID":"a","Attributes":{}},"time":1}\n',
          );
        }, 900);
      },
    });
    cleanups.push(() => engine.close());
    const client = new EngineClient({ host: engine.host, env: {}, timeouts: { headers: 200 } });
    cleanups.push(() => client.close());
    const events = [];
    for await (const event of client.events()) events.push(event.Action);
    expect(events).toEqual(['start']);
  });

  it('refuses a negative timeout as a configuration error', async () => {
    const client = new EngineClient({
      host: 'tcp://127.0.0.1:1',
      env: {},
      timeouts: { connect: -1 },
    });
    cleanups.push(() => client.close());
    await expect(client.info()).rejects.toMatchObject({ code: 'ENGINE_ENDPOINT_CONFIG' });
  });
});
