import { RUN_IMAGE, testEngines, testHostConfig, unique } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputChunk } from './api.js';
import { EngineClient } from './client.js';
import { AbortedError, ConflictError, EngineError, NotFoundError } from './errors.js';

const text = (chunks: OutputChunk[], stream: OutputChunk['stream']) =>
  Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString('utf8');

describe.each(testEngines())('exec on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const label = unique('imgext-test');
  let id: string;

  beforeAll(async () => {
    ({ Id: id } = await client.containers.create({
      Image: RUN_IMAGE,
      Cmd: ['sleep', '300'],
      Env: ['FROM_CONTAINER=c'],
      WorkingDir: '/tmp',
      Labels: { 'org.imgext.test': label },
      HostConfig: testHostConfig(engine),
    }));
    await client.containers.start(id);
  });

  afterAll(async () => {
    await client.containers.remove(id, { force: true });
    await client.close();
  });

  it('streams stdout and stderr apart and returns the exit code', async () => {
    const chunks: OutputChunk[] = [];
    const result = await client.containers.exec(
      id,
      { Cmd: ['sh', '-c', 'echo out-1; echo err-1 >&2; echo out-2; exit 7'] },
      { onOutput: (c) => chunks.push(c) },
    );
    expect(result.exitCode).toBe(7);
    expect(text(chunks, 'stdout')).toBe('out-1\nout-2\n');
    expect(text(chunks, 'stderr')).toBe('err-1\n');
  });

  it('runs as the user given, with the container environment plus its own, in its folder', async () => {
    const chunks: OutputChunk[] = [];
    const result = await client.containers.exec(
      id,
      {
        Cmd: ['sh', '-c', 'echo "$(id -u):$(id -g) $FROM_CONTAINER $FROM_EXEC $(pwd)"'],
        User: '1234:2345',
        Env: ['FROM_EXEC=e'],
        WorkingDir: '/',
      },
      { onOutput: (c) => chunks.push(c) },
    );
    expect(result.exitCode).toBe(0);
    expect(text(chunks, 'stdout')).toBe('1234:2345 c e /\n');
    const defaults: OutputChunk[] = [];
    await client.containers.exec(id, { Cmd: ['pwd'] }, { onOutput: (c) => defaults.push(c) });
    expect(text(defaults, 'stdout')).toBe('/tmp\n');
  });

  it('keeps output that ends without a newline and many chunks in order', async () => {
    const chunks: OutputChunk[] = [];
    await client.containers.exec(
      id,
      {
        Cmd: [
          'sh',
          '-c',
          'i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done; printf tail',
        ],
      },
      { onOutput: (c) => chunks.push(c) },
    );
    const lines = text(chunks, 'stdout').split('\n');
    expect(lines).toHaveLength(2001);
    expect(lines[1999]).toBe('line-1999');
    expect(lines[2000]).toBe('tail');
  });

  it('a process left behind holding the output does not keep the exec open; output after exit is kept', async () => {
    const chunks: OutputChunk[] = [];
    const started = Date.now();
    const result = await client.containers.exec(
      id,
      { Cmd: ['sh', '-c', 'sleep 20 & echo before; exit 3'] },
      { onOutput: (c) => chunks.push(c) },
    );
    expect(result.exitCode).toBe(3);
    expect(text(chunks, 'stdout')).toBe('before\n');
    expect(Date.now() - started).toBeLessThan(10_000);
    // and a lot of output right before the exit arrives whole
    const big: OutputChunk[] = [];
    await client.containers.exec(
      id,
      {
        Cmd: [
          'sh',
          '-c',
          'sleep 20 & i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done',
        ],
      },
      { onOutput: (c) => big.push(c) },
    );
    const lines = text(big, 'stdout').trimEnd().split('\n');
    expect(lines).toHaveLength(20000);
    expect(lines[19999]).toBe('line-19999');
  });

  it('an abort rejects promptly with AbortedError', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = client.containers.exec(
      id,
      { Cmd: ['sleep', '30'] },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('stop')), 300);
    await expect(running).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a missing container or a stopped one rejects with the typed error', async () => {
    await expect(client.containers.exec(unique('nope'), { Cmd: ['true'] })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const { Id } = await client.containers.create({
      Image: RUN_IMAGE,
      Cmd: ['true'],
      Labels: { 'org.imgext.test': label },
      HostConfig: testHostConfig(engine),
    });
    try {
      // docker: 409 "is not running"; podman: 500 "can only create exec sessions on running containers"
      const err = await client.containers.exec(Id, { Cmd: ['true'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as Error).message).toMatch(/running/i);
      if (!engine.name.startsWith('podman')) expect(err).toBeInstanceOf(ConflictError);
    } finally {
      await client.containers.remove(Id, { force: true });
    }
  });

  it('a command that does not exist fails as the engine says, not with a hang', async () => {
    const run = client.containers.exec(id, { Cmd: ['/no/such/binary'] });
    // docker answers the start with an error or runs it to exit code 126/127; podman likewise
    const outcome = await run.then(
      (r) => r.exitCode,
      (e: unknown) => e,
    );
    if (typeof outcome === 'number') expect(outcome).toBeGreaterThanOrEqual(126);
    else expect(outcome).toBeInstanceOf(Error);
  });
});
