import { RUN_IMAGE, testEngines, testHostConfig, unique } from '@imgext/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { tarStream, untar } from '../test/tar.js';
import type { OutputChunk } from './api.js';
import { EngineClient } from './client.js';
import type { Containers } from './containers.js';
import { AbortedError, ConflictError, NotFoundError, ServerError } from './errors.js';

const text = (chunks: OutputChunk[], stream: OutputChunk['stream']) =>
  Buffer.concat(chunks.filter((c) => c.stream === stream).map((c) => c.data)).toString('utf8');

describe.each(testEngines())('containers on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const label = unique('imgext-test');
  const labels = { 'org.imgext.test': label };
  const base = { Image: RUN_IMAGE, Labels: labels, HostConfig: testHostConfig(engine) };

  afterAll(async () => {
    const left = await client.containers.list({
      all: true,
      filters: { label: [`org.imgext.test=${label}`] },
    });
    for (const c of left) await client.containers.remove(c.Id, { force: true });
    await client.close();
    // a test that leaves a container behind is a failing test
    expect(left.map((c) => c.Names)).toEqual([]);
  });

  it('create, start, wait, logs (demultiplexed), inspect, list, remove', async () => {
    const { Id } = await client.containers.create({
      ...base,
      Cmd: ['sh', '-c', 'echo out-1; echo err-1 >&2; echo out-2; exit 7'],
    });
    try {
      await client.containers.start(Id);
      expect(await client.containers.wait(Id)).toMatchObject({ StatusCode: 7 });
      const chunks: OutputChunk[] = [];
      for await (const chunk of client.containers.logs(Id)) chunks.push(chunk);
      expect(text(chunks, 'stdout')).toBe('out-1\nout-2\n');
      expect(text(chunks, 'stderr')).toBe('err-1\n');
      const info = await client.containers.inspect(Id);
      expect(info.State).toMatchObject({ Running: false, ExitCode: 7 });
      expect(info.Config.Labels).toMatchObject(labels);
      const listed = await client.containers.list({
        all: true,
        filters: { label: [`org.imgext.test=${label}`] },
      });
      expect(listed.map((c) => c.Id)).toContain(Id);
    } finally {
      await client.containers.remove(Id);
    }
    await expect(client.containers.inspect(Id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reads a TTY container logs raw', async () => {
    const { Id } = await client.containers.create({ ...base, Tty: true, Cmd: ['echo', 'tty-out'] });
    try {
      await client.containers.start(Id);
      await client.containers.wait(Id);
      const chunks: OutputChunk[] = [];
      for await (const chunk of client.containers.logs(Id)) chunks.push(chunk);
      expect(text(chunks, 'stdout')).toMatch(/^tty-out\r?\n$/);
    } finally {
      await client.containers.remove(Id, { force: true });
    }
  });

  it('follows logs of a running container, and aborting the follow stops it', async () => {
    const { Id } = await client.containers.create({
      ...base,
      Cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo line-$i; sleep 0.05; done'],
    });
    try {
      await client.containers.start(Id);
      const controller = new AbortController();
      const lines: string[] = [];
      const err = await (async () => {
        for await (const chunk of client.containers.logs(Id, {
          follow: true,
          signal: controller.signal,
        })) {
          lines.push(chunk.data.toString());
          if (lines.join('').includes('line-3\n')) controller.abort();
        }
      })().catch((e) => e);
      expect(err).toBeInstanceOf(AbortedError);
      expect(lines.join('')).toMatch(/^line-1\nline-2\nline-3\n/);
      // removing a running container: docker answers 409, podman 500 (see the README)
      await expect(client.containers.remove(Id)).rejects.toBeInstanceOf(
        engine.podman ? ServerError : ConflictError,
      );
      await client.containers.kill(Id, { killSignal: 'SIGKILL' });
      expect((await client.containers.wait(Id)).StatusCode).toBe(137);
    } finally {
      await client.containers.remove(Id, { force: true });
    }
  });

  it('aborting a wait rejects it promptly', async () => {
    const { Id } = await client.containers.create({ ...base, Cmd: ['sleep', '60'] });
    try {
      await client.containers.start(Id);
      const controller = new AbortController();
      const waiting = client.containers.wait(Id, { signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    } finally {
      await client.containers.remove(Id, { force: true });
    }
  });

  it('puts and gets archives', async () => {
    const { Id } = await client.containers.create({ ...base, Cmd: ['true'] });
    try {
      await client.containers.putArchive(
        Id,
        '/tmp',
        tarStream([
          { name: 'dir', type: 'directory' },
          { name: 'dir/file.txt', content: 'archived content\n', uid: 1000, gid: 1000 },
        ]),
      );
      const stream = await client.containers.getArchive(Id, '/tmp/dir/file.txt');
      const parts: Buffer[] = [];
      for await (const part of stream) parts.push(part as Buffer);
      const files = untar(Buffer.concat(parts));
      expect(files.get('file.txt')?.toString()).toBe('archived content\n');
      await expect(client.containers.getArchive(Id, '/nope')).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await client.containers.remove(Id, { force: true });
    }
  });

  it('run: streams output, returns the exit code, removes the container', async () => {
    const chunks: OutputChunk[] = [];
    const result = await client.containers.run(
      { ...base, Cmd: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'] },
      { onOutput: (c) => chunks.push(c) },
    );
    expect(result.exitCode).toBe(3);
    expect(text(chunks, 'stdout')).toBe('hello\n');
    expect(text(chunks, 'stderr')).toBe('oops\n');
    await expect(client.containers.inspect(result.containerId)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('run: no wait race with containers that exit at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        client.containers.run({ ...base, Cmd: ['sh', '-c', `exit ${i}`] }),
      ),
    );
    expect(results.map((r) => r.exitCode)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('run: beforeStart can put files in, and remove: false keeps the container', async () => {
    const chunks: OutputChunk[] = [];
    const result = await client.containers.run(
      { ...base, Cmd: ['cat', '/tmp/input.txt'] },
      {
        remove: false,
        onOutput: (c) => chunks.push(c),
        beforeStart: (id) =>
          client.containers.putArchive(
            id,
            '/tmp',
            tarStream([{ name: 'input.txt', content: 'put before start\n' }]),
          ),
      },
    );
    try {
      expect(result.exitCode).toBe(0);
      expect(text(chunks, 'stdout')).toBe('put before start\n');
      expect((await client.containers.inspect(result.containerId)).State.ExitCode).toBe(0);
    } finally {
      await client.containers.remove(result.containerId);
    }
  });

  it('run: aborting kills and removes the container', async () => {
    const controller = new AbortController();
    let containerId = '';
    const running = client.containers.run(
      { ...base, Cmd: ['sh', '-c', 'echo started; sleep 60'] },
      {
        signal: controller.signal,
        beforeStart: async (id) => {
          containerId = id;
        },
        onOutput: () => controller.abort(),
      },
    );
    const started = Date.now();
    await expect(running).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(20_000);
    await expect(client.containers.inspect(containerId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('run: an abort at any moment, the create request under way too, leaves no container', async () => {
    // A create given up on the client may still be carried out by the engine: run must see it
    // through and remove the container (afterAll fails on any left with this test's label).
    for (const delay of [0, 1, 2, 4, 8, 15]) {
      const controller = new AbortController();
      const running = client.containers.run(
        { ...base, Cmd: ['sh', '-c', 'sleep 60'] },
        { signal: controller.signal },
      );
      setTimeout(() => controller.abort(), delay);
      await expect(running).rejects.toBeInstanceOf(AbortedError);
    }
    const left = await client.containers.list({
      all: true,
      filters: { label: [`org.imgext.test=${label}`] },
    });
    expect(left.map((c) => c.Names)).toEqual([]);
  });

  it('attach: writes stdin and reads the output', async () => {
    const { Id } = await client.containers.create({
      ...base,
      Cmd: ['sh', '-c', 'read line; echo "got:$line"; echo bye >&2'],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
    });
    try {
      const session = await client.containers.attach(Id, { stdin: true });
      // waitHeaders is the implementation's (run uses it), not part of ContainersApi
      const containers = client.containers as Containers;
      const waiting = await containers.waitHeaders(Id, { condition: 'next-exit' });
      await client.containers.start(Id);
      session.stdin?.write('hello stdin\n');
      const chunks: OutputChunk[] = [];
      for await (const chunk of session.output) chunks.push(chunk);
      expect(text(chunks, 'stdout')).toBe('got:hello stdin\n');
      expect(text(chunks, 'stderr')).toBe('bye\n');
      expect((await waiting.result).StatusCode).toBe(0);
    } finally {
      await client.containers.remove(Id, { force: true });
    }
  });

  it('attach to a missing container rejects with the daemon JSON error', async () => {
    const err = await client.containers.attach('imgext-test-no-such-container').catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.daemonMessage).toMatch(/no such container|imgext-test-no-such-container/i);
  });
});
