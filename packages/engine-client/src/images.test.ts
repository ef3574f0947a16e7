import { BUILD_IMAGE, removeImagesOf, testEngines, unique } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarStream } from '../test/tar.js';
import type { BuildProgressEvent } from './api.js';
import { EngineClient } from './client.js';
import { AbortedError, BuildError, ConflictError, NotFoundError } from './errors.js';

describe.each(testEngines())('images on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const repo = `imgext-test/${unique('images')}`;
  const tag = `${repo}:built`;
  let builtId = '';

  const dockerfile = (body: string) =>
    tarStream([
      { name: 'Dockerfile', content: `FROM ${BUILD_IMAGE}\n${body}` },
      { name: 'hello.txt', content: 'hello from the context\n' },
    ]);

  beforeAll(async () => {
    const result = await client.images.build(
      dockerfile(
        'ARG greeting\nCOPY hello.txt /hello.txt\nRUN echo "$greeting" > /tmp/greeting\nLABEL a=b\n',
      ),
      {
        tags: [tag],
        buildArgs: { greeting: 'hi there' },
        labels: { 'org.imgext.test': 'yes' },
        networkMode: 'none',
      },
    );
    builtId = result.imageId;
  });

  afterAll(async () => {
    await removeImagesOf(client, repo);
    await client.close();
  });

  it('builds from a streamed tar context with build args and labels, resolving the image ID', async () => {
    expect(builtId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const image = await client.images.inspect(tag);
    expect(image.Id).toBe(builtId);
    expect(image.Config?.Labels).toMatchObject({ a: 'b', 'org.imgext.test': 'yes' });
    // podman's compat API qualifies a short name as docker.io/<name> (see the README)
    expect(image.RepoTags).toContain(engine.podman ? `docker.io/${tag}` : tag);
  });

  it('reports steps, output and cache hits on a rebuild', async () => {
    const events: BuildProgressEvent[] = [];
    const result = await client.images.build(
      dockerfile(
        'ARG greeting\nCOPY hello.txt /hello.txt\nRUN echo "$greeting" > /tmp/greeting\nLABEL a=b\n',
      ),
      {
        tags: [tag],
        buildArgs: { greeting: 'hi there' },
        labels: { 'org.imgext.test': 'yes' },
        networkMode: 'none',
        onProgress: (e) => events.push(e),
      },
    );
    expect(result.imageId).toBe(builtId);
    expect(result.newImageIds).toEqual([]);
    expect(result.steps).toBeGreaterThanOrEqual(5);
    expect(result.cacheHits).toBeGreaterThanOrEqual(3);
    expect(events.filter((e) => e.type === 'cache-hit')).toHaveLength(result.cacheHits);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps[0]).toMatchObject({ step: 1, instruction: expect.stringMatching(/^FROM /) });
    expect(result.transcript.some((line) => /^(Step|STEP) 1\/\d+/.test(line))).toBe(true);
  });

  it('names the images a build committed: one per step, the last is the result', async () => {
    const marker = unique('steps');
    const result = await client.images.build(
      dockerfile(`RUN echo ${marker} > /tmp/marker\nLABEL step=two\n`),
      { networkMode: 'none', noCache: true },
    );
    try {
      expect(result.newImageIds).toHaveLength(2);
      const [first, last] = await Promise.all(
        result.newImageIds.map((id) => client.images.inspect(id)),
      );
      expect(last?.Id).toBe(result.imageId);
      expect(first?.Id).not.toBe(result.imageId);
    } finally {
      await client.images.remove(result.imageId, { force: true });
      for (const id of result.newImageIds)
        await client.images.remove(id, { force: true }).catch(() => undefined);
    }
  });

  it('turns an in-band failure after the 200 into a BuildError naming the step', async () => {
    const err = await client.images
      .build(dockerfile('RUN echo failing-now && exit 3\n'), {
        networkMode: 'none',
        noCache: true,
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err.code).toBe('ENGINE_BUILD_FAILED');
    expect(err.step).toMatch(/^(Step|STEP) 2\/2 ?: ?RUN echo failing-now/);
    expect(err.transcript.join('\n')).toMatch(/failing-now/);
    expect(err.message).toMatch(/3/);
  });

  it('builds with a Dockerfile elsewhere in the context and a target stage', async () => {
    const result = await client.images.build(
      tarStream([
        {
          name: 'sub/Build.dockerfile',
          content: `FROM ${BUILD_IMAGE} AS one\nRUN echo one > /tmp/stage\nFROM one AS two\nRUN echo two > /tmp/stage\n`,
        },
      ]),
      { dockerfile: 'sub/Build.dockerfile', target: 'one', networkMode: 'none' },
    );
    const history = await client.images.history(result.imageId);
    expect(history.some((h) => h.CreatedBy.includes('echo one'))).toBe(true);
    expect(history.some((h) => h.CreatedBy.includes('echo two'))).toBe(false);
    await client.images.remove(result.imageId, { force: true });
  });

  it('aborting a build stops it and leaves no container behind', async () => {
    const controller = new AbortController();
    const marker = unique('abort');
    const building = client.images.build(dockerfile(`RUN echo ${marker} && sleep 60\n`), {
      networkMode: 'none',
      noCache: true,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'output' && e.text.includes(marker)) controller.abort();
      },
    });
    const started = Date.now();
    await expect(building).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(30_000);
    // the daemon cancels the build and removes its intermediate container
    let left: unknown[] = [];
    for (let i = 0; i < 40; i++) {
      left = (await client.containers.list({ all: true })).filter((c) =>
        JSON.stringify(c).includes(marker),
      );
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(left).toEqual([]);
  });

  it('finds, lists, tags, and removes', async () => {
    expect(await client.images.find(`${repo}:missing`)).toBeUndefined();
    expect((await client.images.find(tag))?.Id).toBe(builtId);
    await client.images.tag(tag, repo, 'second');
    const listed = await client.images.list({ filters: { reference: [`${repo}:second`] } });
    expect(listed.map((i) => i.Id)).toContain(builtId);
    const removed = await client.images.remove(`${repo}:second`);
    expect(removed.some((r) => r.Untagged?.includes('second'))).toBe(true);
    await expect(client.images.inspect(`${repo}:second`)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses to remove the last tag of an image a container uses (409)', async () => {
    const { Id } = await client.containers.create({ Image: tag, Cmd: ['true'] });
    try {
      await client.images.tag(tag, repo, 'in-use');
      await client.images.remove(tag);
      const err = await client.images.remove(`${repo}:in-use`).catch((e) => e);
      expect(err).toBeInstanceOf(ConflictError);
    } finally {
      await client.containers.remove(Id, { force: true });
    }
  });
});
