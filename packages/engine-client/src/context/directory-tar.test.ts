import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_IMAGE, removeImagesOf, testEngines, unique } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../client.js';
import { BuildContextError } from '../errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgext-dirctx-'));
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'app.txt'), 'app\n');
  await writeFile(join(dir, 'secret.txt'), 'do not send\n');
  await writeFile(join(dir, 'sub', 'keep.log'), 'kept\n');
  await writeFile(join(dir, 'sub', 'drop.log'), 'dropped\n');
  await writeFile(join(dir, 'Dockerfile'), 'the app has its own Dockerfile\n');
  await writeFile(join(dir, '.dockerignore'), 'secret.txt\n**/*.log\n!sub/keep.log\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The same DirectoryContext on both builders: `files` beside the context, .dockerignore applied. */
describe.each(testEngines())('a directory context on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const repo = unique('imgext-test/dirctx');
  afterAll(async () => {
    await removeImagesOf(client, repo);
    await client.close();
  });
  const builders = engine.podman ? (['classic'] as const) : (['classic', 'buildkit'] as const);

  it.each(builders)('with the %s builder', async (builder) => {
    const result = await client.images.build(
      {
        dir,
        files: {
          'imgext.Dockerfile': `FROM ${BUILD_IMAGE}\nCOPY . /x\nRUN cd /x && find . -type f | sort | sed 's/^/FILE /' && cat Dockerfile\n`,
        },
      },
      {
        builder,
        dockerfile: 'imgext.Dockerfile',
        tags: [`${repo}:${builder}`],
        networkMode: 'none',
        // The RUN prints what COPY saw: never from the cache of an earlier run.
        noCache: true,
      },
    );
    const files = result.transcript
      .map((l) => /^FILE (\.\S*)$/.exec(l.trim())?.[1])
      .filter((f): f is string => f !== undefined);
    expect(files.sort()).toEqual(['./Dockerfile', './app.txt', './sub/keep.log']);
    // The app's own Dockerfile is what COPY sees, not the one given in `files`.
    expect(result.transcript.join('\n')).toContain('the app has its own Dockerfile');
  });

  it('refuses a missing folder before sending anything, naming it', async () => {
    const err = await client.images
      .build({ dir: join(dir, 'nope'), files: { Dockerfile: 'FROM x\n' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildContextError);
    expect((err as Error).message).toContain(join(dir, 'nope'));
  });
});
