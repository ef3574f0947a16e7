import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_IMAGE, removeImagesOf, testEngines, unique } from '@imgext/test-support';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../client.js';
import { BuildContextError } from '../errors.js';
import { directoryTar } from './directory-tar.js';

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

  // COPY keeps the modes the context holds: 000 arrives as 000 (the classic builder gets them
  // from directoryTar, BuildKit from the session's FileSync).
  it.skipIf(process.getuid?.() !== 0).each(builders)(
    'a file and a folder of mode 000 keep it in the image (%s builder)',
    async (builder) => {
      const ctx = await mkdtemp(join(tmpdir(), 'imgext-dirctx-000-'));
      try {
        await writeFile(join(ctx, 'locked'), 'secret\n');
        await mkdir(join(ctx, 'closed'));
        await chmod(join(ctx, 'locked'), 0o000);
        await chmod(join(ctx, 'closed'), 0o000);
        const result = await client.images.build(
          {
            dir: ctx,
            files: {
              'imgext.Dockerfile': `FROM ${BUILD_IMAGE}\nCOPY . /x\nRUN stat -c 'MODE %n %a' /x/locked /x/closed\n`,
            },
          },
          {
            builder,
            dockerfile: 'imgext.Dockerfile',
            tags: [`${repo}:modes-${builder}`],
            networkMode: 'none',
            noCache: true,
          },
        );
        const modes = result.transcript.flatMap(
          (l) => /MODE (\S+) (\d+)/.exec(l)?.slice(1, 3) ?? [],
        );
        expect(modes).toEqual(['/x/locked', '0', '/x/closed', '0']);
      } finally {
        await chmod(join(ctx, 'closed'), 0o755).catch(() => undefined);
        await rm(ctx, { recursive: true, force: true });
      }
    },
  );

  it('refuses a missing folder before sending anything, naming it', async () => {
    const err = await client.images
      .build({ dir: join(dir, 'nope'), files: { Dockerfile: 'FROM x\n' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildContextError);
    expect((err as Error).message).toContain(join(dir, 'nope'));
  });
});

/** The name and mode of every entry of a tar stream. */
async function modesOf(tar: AsyncIterable<Uint8Array>): Promise<Record<string, number>> {
  const ex = extract();
  const modes: Record<string, number> = {};
  const reading = (async () => {
    for await (const e of ex) {
      modes[e.header.name] = e.header.mode ?? -1;
      e.resume();
    }
  })();
  const chunks: Uint8Array[] = [];
  for await (const chunk of tar) chunks.push(chunk);
  ex.end(Buffer.concat(chunks));
  await reading;
  return modes;
}

// Reading a file or folder of mode 000 takes root (CAP_DAC_OVERRIDE), as `docker build` does.
describe.skipIf(process.getuid?.() !== 0)('the modes of a directory context', () => {
  it('are kept exactly: 000 stays 000 for a file and a folder, setuid, setgid and sticky too', async () => {
    const ctx = await mkdtemp(join(tmpdir(), 'imgext-dirctx-modes-'));
    try {
      await writeFile(join(ctx, 'locked'), 'no one reads this\n');
      await writeFile(join(ctx, 'suid'), '#!/bin/sh\n');
      await writeFile(join(ctx, 'private'), 'mine\n');
      await mkdir(join(ctx, 'closed'));
      await writeFile(join(ctx, 'closed', 'inside'), 'in\n');
      await mkdir(join(ctx, 'shared'));
      await chmod(join(ctx, 'locked'), 0o000);
      await chmod(join(ctx, 'suid'), 0o6755);
      await chmod(join(ctx, 'private'), 0o600);
      await chmod(join(ctx, 'closed'), 0o000);
      await chmod(join(ctx, 'shared'), 0o1777);
      const modes = await modesOf(directoryTar({ dir: ctx }));
      expect(modes).toMatchObject({
        locked: 0o000,
        suid: 0o6755,
        private: 0o600,
        closed: 0o000,
        'closed/inside': 0o644,
        shared: 0o1777,
      });
    } finally {
      await chmod(join(ctx, 'closed'), 0o755).catch(() => undefined);
      await rm(ctx, { recursive: true, force: true });
    }
  });
});
