/** Protocol edge cases against a fake engine on a unix socket (see test/fake-engine.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeEngine, fakeEngine, writeApart } from '../test/fake-engine.js';
import { frame } from '../test/frames.js';
import { tarStream } from '../test/tar.js';
import type { BuildProgressEvent, OutputChunk, PullProgressEvent, RunWarning } from './api.js';
import { MAX_API_VERSION } from './api-version.js';
import { EngineClient } from './client.js';
import {
  AbortedError,
  ApiVersionTooOldError,
  BuildError,
  NotFoundError,
  PullError,
  ServerError,
  StreamError,
} from './errors.js';

let engine: FakeEngine | undefined;
let client: EngineClient | undefined;

async function start(opts: Parameters<typeof fakeEngine>[0]): Promise<EngineClient> {
  engine = await fakeEngine(opts);
  client = new EngineClient({ host: engine.host, env: {} });
  return client;
}

afterEach(async () => {
  await client?.close();
  await engine?.close();
  client = undefined;
  engine = undefined;
});

const text = (chunks: OutputChunk[], stream: OutputChunk['stream']) =>
  Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString();

const MUX = 'application/vnd.docker.multiplexed-stream';

describe('negotiation', () => {
  it('speaks min(server, client max) on versioned paths', async () => {
    const c = await start({
      apiVersion: '9.99',
      handler: (_req, res) => res.end('{"Os":"linux"}'),
    });
    await c.version();
    expect(await c.apiVersion()).toBe(MAX_API_VERSION);
    expect(engine?.requests).toEqual(['HEAD /_ping', `GET /v${MAX_API_VERSION}/version`]);
  });

  it('falls back to GET /_ping when HEAD is refused', async () => {
    const c = await start({ headPingStatus: 405, apiVersion: '1.43' });
    expect(await c.apiVersion()).toBe('1.43');
    expect(engine?.requests).toEqual(['HEAD /_ping', 'GET /_ping']);
  });

  it('pings with GET (dockerd closes the connection after HEAD /_ping)', async () => {
    const c = await start({ apiVersion: '1.43' });
    await c.apiVersion();
    await c.ping();
    await c.ping();
    expect(engine?.requests).toEqual(['HEAD /_ping', 'GET /_ping', 'GET /_ping']);
  });

  it('refuses a server below the floor with ApiVersionTooOldError', async () => {
    const c = await start({ apiVersion: '1.40' });
    const err = await c.info().catch((e) => e);
    expect(err).toBeInstanceOf(ApiVersionTooOldError);
    expect(err).toMatchObject({ serverVersion: '1.40', minimumVersion: '1.41' });
  });

  it('negotiates once for concurrent first calls', async () => {
    const c = await start({ handler: (_req, res) => res.end('{}') });
    await Promise.all([c.info(), c.info(), c.version()]);
    expect(engine?.requests.filter((r) => r.includes('_ping'))).toHaveLength(1);
  });
});

describe('errors', () => {
  it('keeps the daemon message of a JSON error and of a plain-text one', async () => {
    const c = await start({
      handler: (req, res) => {
        if (req.url?.includes('/info')) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('plain failure\n');
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{"message":"No such container: x"}');
        }
      },
    });
    await expect(c.containers.inspect('x')).rejects.toMatchObject({
      code: 'ENGINE_NOT_FOUND',
      daemonMessage: 'No such container: x',
      message: 'No such container: x',
    });
    await expect(c.info()).rejects.toMatchObject({
      code: 'ENGINE_SERVER_ERROR',
      statusCode: 500,
      daemonMessage: 'plain failure',
    });
  });

  it('never puts the registry credentials into an error', async () => {
    const c = await start({
      handler: (_req, res) =>
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"denied"}'),
    });
    const err = await c.images
      .pull('registry.example/x:1', { auth: { username: 'u', password: 's3cr3t-pass' } })
      .catch((e) => e);
    expect(err.code).toBe('ENGINE_UNAUTHORIZED');
    expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toMatch(
      /s3cr3t-pass|czNjcjN0/,
    );
  });
});

describe('registry auth from the docker config', () => {
  it('sends X-Registry-Auth for the reference and X-Registry-Config for builds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imgext-auth-'));
    const auth = Buffer.from('alice:wonderland').toString('base64');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ auths: { 'registry.example:5000': { auth } } }),
    );
    const seen: Record<string, string | undefined> = {};
    engine = await fakeEngine({
      handler: async (req, res) => {
        for await (const _ of req);
        seen[req.url?.includes('/build') ? 'build' : 'pull'] =
          req.headers['x-registry-config']?.toString() ??
          req.headers['x-registry-auth']?.toString();
        res.end(
          req.url?.includes('/build')
            ? `{"aux":{"ID":"sha256:${'b'.repeat(64)}"}}\n`
            : '{"status":"ok"}\n',
        );
      },
    });
    client = new EngineClient({ host: engine.host, configDir: dir, env: {} });
    try {
      await client.images.pull('registry.example:5000/team/app:1');
      await client.images.build(tarStream([]));
      const decode = (v: string | undefined) =>
        JSON.parse(Buffer.from(v ?? '', 'base64url').toString('utf8'));
      expect(seen.pull).toMatch(/^[A-Za-z0-9_-]+=*$/);
      expect(decode(seen.pull)).toMatchObject({ username: 'alice', password: 'wonderland' });
      expect(decode(seen.build)).toMatchObject({
        'registry.example:5000': { username: 'alice', password: 'wonderland' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('aborting streams', () => {
  it('aborting a pull closes the connection the daemon streams on', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const c = await start({
      handler: (req, res) => {
        res.write('{"status":"Pulling"}\n');
        const timer = setInterval(() => res.write('{"status":"Downloading"}\n'), 10);
        req.socket.on('close', () => {
          clearInterval(timer);
          closed();
        });
      },
    });
    const controller = new AbortController();
    let events = 0;
    const err = await c.images
      .pull('x:1', {
        signal: controller.signal,
        onProgress: () => {
          if (++events === 3) controller.abort();
        },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AbortedError);
    await serverSawClose;
  });
});

describe('backpressure', () => {
  it('a build context is streamed at the pace the engine reads it, never buffered ahead', async () => {
    const chunk = Buffer.alloc(256 * 1024, 7);
    const total = 256 * 1024 * 1024;
    let produced = 0;
    let received = 0;
    let maxAhead = 0;
    const c = await start({
      handler: async (req, res) => {
        for await (const part of req) {
          received += (part as Buffer).length;
          // a slow reader: the client must wait for it
          if (received % (8 * 1024 * 1024) < (part as Buffer).length) {
            await new Promise((r) => setTimeout(r, 2));
          }
        }
        res.end(`{"aux":{"ID":"sha256:${'c'.repeat(64)}"}}\n`);
      },
    });
    async function* context(): AsyncGenerator<Buffer> {
      while (produced < total) {
        produced += chunk.length;
        maxAhead = Math.max(maxAhead, produced - received);
        yield chunk;
      }
    }
    const result = await c.images.build(context());
    expect(result.imageId).toBe(`sha256:${'c'.repeat(64)}`);
    expect(received).toBe(total);
    expect(maxAhead).toBeLessThan(16 * 1024 * 1024);
  });

  it('a save stream is read at the pace the consumer reads it', async () => {
    const chunk = Buffer.alloc(256 * 1024, 9);
    const total = 128 * 1024 * 1024;
    let written = 0;
    let consumed = 0;
    let maxAhead = 0;
    const c = await start({
      handler: async (_req, res) => {
        while (written < total) {
          written += chunk.length;
          maxAhead = Math.max(maxAhead, written - consumed);
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      },
    });
    const stream = await c.images.save(['x']);
    for await (const part of stream) {
      consumed += (part as Buffer).length;
      if (consumed % (8 * 1024 * 1024) < (part as Buffer).length) {
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    expect(consumed).toBe(total);
    expect(maxAhead).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('multiplexed streams from the wire', () => {
  it('demultiplexes frames split across network chunks', async () => {
    const c = await start({
      handler: async (_req, res) => {
        res.writeHead(200, { 'content-type': MUX });
        const data = Buffer.concat([frame(1, 'hello '), frame(2, 'warn\n'), frame(1, 'world\n')]);
        await writeApart(res, [
          data.subarray(0, 3),
          data.subarray(3, 10),
          data.subarray(10, 20),
          data.subarray(20),
        ]);
        res.end();
      },
    });
    const chunks: OutputChunk[] = [];
    for await (const chunk of c.containers.logs('x')) chunks.push(chunk);
    expect(text(chunks, 'stdout')).toBe('hello world\n');
    expect(text(chunks, 'stderr')).toBe('warn\n');
  });

  it('a type-3 frame surfaces the daemon error as a StreamError', async () => {
    const c = await start({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': MUX });
        res.end(Buffer.concat([frame(1, 'partial output\n'), frame(3, 'log driver failed')]));
      },
    });
    const chunks: OutputChunk[] = [];
    const err = await (async () => {
      for await (const chunk of c.containers.logs('x')) chunks.push(chunk);
    })().catch((e) => e);
    expect(text(chunks, 'stdout')).toBe('partial output\n');
    expect(err).toBeInstanceOf(StreamError);
    expect(err.daemonMessage).toBe('log driver failed');
  });

  it('a response that ends mid-frame is a StreamError', async () => {
    const c = await start({
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': MUX });
        res.end(frame(1, 'this frame is cut').subarray(0, 12));
      },
    });
    await expect(
      (async () => {
        for await (const _ of c.containers.logs('x'));
      })(),
    ).rejects.toBeInstanceOf(StreamError);
  });

  it('a connection dropped mid-frame is a StreamError', async () => {
    const c = await start({
      handler: async (req, res) => {
        res.writeHead(200, { 'content-type': MUX });
        await writeApart(res, [frame(1, 'some'), frame(1, 'dropped here').subarray(0, 10)]);
        req.socket.destroy();
      },
    });
    const err = await (async () => {
      for await (const _ of c.containers.logs('x', { follow: true }));
    })().catch((e) => e);
    expect(err).toBeInstanceOf(StreamError);
    expect(err.code).toBe('ENGINE_STREAM');
  });
});

describe('logs whose follow-up inspect fails', () => {
  it('releases the response, so that close() returns', async () => {
    const c = await start({
      // API 1.41: no multiplexed/raw Content-Type, so logs() inspects the container's Tty
      apiVersion: '1.41',
      handler: (req, res) => {
        if (req.url?.includes('/logs')) {
          // a follow stream that stays open: only the client can end it
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.write(frame(1, 'line\n'));
          return;
        }
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"message":"inspect broke"}');
      },
    });
    const err = await (async () => {
      for await (const _ of c.containers.logs('x', { follow: true }));
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err.daemonMessage).toBe('inspect broke');
    // close() waits for in-flight responses: it only returns if logs() released its own
    await c.close();
    expect(engine?.requests).toContain('GET /v1.41/containers/x/json');
  }, 10_000);
});

describe('JSON-lines streams from the wire', () => {
  it('build: CRLF lines split across chunks, an in-band error after progress', async () => {
    const c = await start({
      handler: async (req, res) => {
        for await (const _ of req);
        res.writeHead(200, { 'content-type': 'application/json' });
        const body = [
          '{"stream":"Step 1/2 : FROM base\\n"}\r\n',
          '{"stream":" ---\\u003e abc\\n"}\r\n',
          '{"stream":"Step 2/2 : RUN make\\n"}\r\n',
          '{"stream":"compiling...\\n"}\r\n',
          '{"errorDetail":{"code":2,"message":"make: *** [all] Error 2"},"error":"make: *** [all] Error 2"}\r\n',
        ].join('');
        await writeApart(res, [
          body.slice(0, 17),
          body.slice(17, 70),
          body.slice(70, 71),
          body.slice(71),
        ]);
        res.end();
      },
    });
    const events: BuildProgressEvent[] = [];
    const err = await c.images
      .build(tarStream([{ name: 'Dockerfile', content: 'FROM base\n' }]), {
        onProgress: (e) => events.push(e),
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err).toMatchObject({
      code: 'ENGINE_BUILD_FAILED',
      step: 'Step 2/2 : RUN make',
      statusCode: 200,
      daemonMessage: 'make: *** [all] Error 2',
    });
    expect(err.transcript).toEqual([
      'Step 1/2 : FROM base',
      ' ---> abc',
      'Step 2/2 : RUN make',
      'compiling...',
    ]);
    expect(events.filter((e) => e.type === 'step')).toHaveLength(2);
    expect(engine?.requests[1]).toMatch(/^POST \/v1\.45\/build\?version=1&/);
  });

  it('build: resolves aux.ID and counts cache hits', async () => {
    const c = await start({
      handler: async (req, res) => {
        for await (const _ of req);
        res.end(
          [
            '{"stream":"Step 1/2 : FROM base"}',
            '{"stream":"\\n"}',
            '{"stream":"Step 2/2 : RUN x\\n ---\\u003e Using cache\\n"}',
            `{"aux":{"ID":"sha256:${'a'.repeat(64)}"}}`,
            '{"stream":"Successfully built aaaaaaaaaaaa\\n"}',
          ].join('\n'),
        );
      },
    });
    const result = await c.images.build(tarStream([]));
    expect(result).toMatchObject({ imageId: `sha256:${'a'.repeat(64)}`, cacheHits: 1, steps: 2 });
  });

  it('build: new step images are told apart from FROM bases and cache hits (docker and podman wording)', async () => {
    const docker = [
      'Step 1/4 : FROM base',
      ' ---> 111111111111',
      'Step 2/4 : RUN a',
      ' ---> Using cache',
      ' ---> 222222222222',
      'Step 3/4 : RUN b',
      ' ---> Running in 999999999999',
      ' ---> Removed intermediate container 999999999999',
      ' ---> 333333333333',
      'Step 4/4 : LABEL c=d',
      ' ---> Running in 888888888888',
      ' ---> 444444444444',
      'Successfully built 444444444444',
    ];
    const podman = [
      'STEP 1/3: FROM base',
      'STEP 2/3: RUN a',
      '--> Using cache 2222222222222222222222222222222222222222222222222222222222222222',
      '--> 222222222222',
      'STEP 3/3: RUN b',
      'COMMIT',
      '--> 33333333333',
      '333333333333333333333333333333333333333333333333333333333333333a',
    ];
    for (const [wording, expected] of [
      [docker, ['333333333333', '444444444444']],
      [podman, ['33333333333']],
    ] as const) {
      const c = await start({
        handler: async (req, res) => {
          for await (const _ of req);
          res.end(
            [
              ...wording.map((line) => JSON.stringify({ stream: `${line}\n` })),
              JSON.stringify({ aux: { ID: `sha256:${'3'.repeat(64)}` } }),
            ].join('\n'),
          );
        },
      });
      const committed: string[] = [];
      const result = await c.images.build(tarStream([]), {
        onProgress: (e) => {
          if (e.type === 'committed') committed.push(e.id);
        },
      });
      expect(result.newImageIds).toEqual(expected);
      expect(committed).toEqual(expected);
    }
  });

  it('build: a failure keeps the IDs of the images committed before it', async () => {
    const c = await start({
      handler: async (req, res) => {
        for await (const _ of req);
        res.end(
          [
            '{"stream":"Step 1/3 : FROM base\\n ---\\u003e 111111111111\\n"}',
            '{"stream":"Step 2/3 : RUN a\\n ---\\u003e Running in 9\\n ---\\u003e 222222222222\\n"}',
            '{"stream":"Step 3/3 : RUN false\\n"}',
            '{"errorDetail":{"message":"exit 1"},"error":"exit 1"}',
          ].join('\n'),
        );
      },
    });
    const err = await c.images.build(tarStream([])).catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err.newImageIds).toEqual(['222222222222']);
  });

  it('pull: an in-band error after progress is a PullError', async () => {
    const c = await start({
      handler: async (_req, res) => {
        await writeApart(res, [
          '{"status":"Pulling from x","id":"1"}\n{"status":"Downloading","progressDetail":{"current":5,"total":10},"id":"l1"}\n',
          '{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}\n',
        ]);
        res.end();
      },
    });
    const events: PullProgressEvent[] = [];
    const err = await c.images.pull('x:1', { onProgress: (e) => events.push(e) }).catch((e) => e);
    expect(err).toBeInstanceOf(PullError);
    expect(err).toMatchObject({
      code: 'ENGINE_PULL_FAILED',
      ref: 'x:1',
      daemonMessage: 'unexpected EOF',
    });
    expect(events[1]).toMatchObject({ status: 'Downloading', current: 5, total: 10 });
  });
});

describe('attach', () => {
  it('an attach refused with a JSON error instead of an upgrade rejects with that error', async () => {
    const c = await start({
      upgrade: (_req, socket) => {
        const body = '{"message":"No such container: ghost"}';
        socket.end(
          `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      },
    });
    const err = await c.containers.attach('ghost').catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.daemonMessage).toBe('No such container: ghost');
  });

  it('a 500 refusal is a ServerError', async () => {
    const c = await start({
      upgrade: (_req, socket) => {
        const body = '{"message":"attach failed"}';
        socket.end(
          `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      },
    });
    await expect(c.containers.attach('x')).rejects.toBeInstanceOf(ServerError);
  });

  it('an upgraded attach demultiplexes and takes stdin', async () => {
    const c = await start({
      upgrade: (req, socket) => {
        expect(req.headers.upgrade).toBe('tcp');
        socket.write(
          `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${MUX}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
        );
        socket.once('data', (data) => {
          socket.end(Buffer.concat([frame(1, `echo:${data}`), frame(2, 'done')]));
        });
      },
    });
    const session = await c.containers.attach('x', { stdin: true });
    session.stdin?.write('ping');
    const chunks: OutputChunk[] = [];
    for await (const chunk of session.output) chunks.push(chunk);
    expect(text(chunks, 'stdout')).toBe('echo:ping');
    expect(text(chunks, 'stderr')).toBe('done');
  });
});

describe('run clean-up failures', () => {
  /** A fake engine that runs container c1 to exit 0 and answers kill/remove with `failWith`. */
  function runEngine(opts: { startStatus?: number; cleanupStatus: number }) {
    let started!: () => void;
    const whenStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    return start({
      handler: (req, res) => {
        const url = req.url ?? '';
        const json = (status: number, body: string) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(body);
        if (url.includes('/containers/create')) return json(201, '{"Id":"c1","Warnings":[]}');
        if (url.includes('/wait')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.flushHeaders();
          void whenStarted.then(() => res.end('{"StatusCode":0}'));
          return;
        }
        if (url.includes('/start')) {
          if (opts.startStatus) return json(opts.startStatus, '{"message":"start broke"}');
          started();
          return void res.writeHead(204).end();
        }
        if (url.includes('/kill') || req.method === 'DELETE') {
          return json(opts.cleanupStatus, '{"message":"device or resource busy"}');
        }
        json(404, '{"message":"no route"}');
      },
      upgrade: (_req, socket) => {
        socket.write(
          `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${MUX}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
        );
        void whenStarted.then(() => socket.end(frame(1, 'hi\n')));
      },
    });
  }

  it('reports a container that could not be removed as a cleanup-failed warning', async () => {
    const c = await runEngine({ cleanupStatus: 500 });
    const warnings: RunWarning[] = [];
    const result = await c.containers.run(
      { Image: 'x' },
      { onWarning: (warning) => warnings.push(warning) },
    );
    expect(result).toEqual({ containerId: 'c1', exitCode: 0 });
    expect(warnings).toEqual([
      {
        type: 'cleanup-failed',
        action: 'remove',
        containerId: 'c1',
        message: 'device or resource busy',
        code: 'ENGINE_SERVER_ERROR',
      },
    ]);
  });

  it('a failed run reports a failed kill and removal, and rejects with its own error', async () => {
    const c = await runEngine({ startStatus: 500, cleanupStatus: 500 });
    const warnings: RunWarning[] = [];
    const err = await c.containers
      .run({ Image: 'x' }, { onWarning: (warning) => warnings.push(warning) })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err.daemonMessage).toBe('start broke');
    expect(warnings.map((w) => `${w.action} ${w.containerId}`)).toEqual(['kill c1', 'remove c1']);
  });

  it('a container already gone is no warning', async () => {
    const c = await runEngine({ cleanupStatus: 404 });
    const warnings: RunWarning[] = [];
    await c.containers.run({ Image: 'x' }, { onWarning: (warning) => warnings.push(warning) });
    expect(warnings).toEqual([]);
  });
});
