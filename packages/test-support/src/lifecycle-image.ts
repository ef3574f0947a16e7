/**
 * A local lifecycle image, as `buildpacksio/lifecycle:<version>` is made: the lifecycle of
 * $IMGEXT_LIFECYCLE_DIR (tools/env builds it) under /cnb/lifecycle, on an empty base (the binaries
 * are static), with /tmp. Docker Hub cannot be reached here, so tests make it in the daemon.
 */
import { spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';

/** The lifecycle folder tools/env built ($IMGEXT_LIFECYCLE_DIR). */
export function lifecycleDir(): string {
  const dir = process.env.IMGEXT_LIFECYCLE_DIR;
  if (!dir) throw new Error('IMGEXT_LIFECYCLE_DIR is not set: eval "$(tools/env up)" first');
  return dir;
}

/** The lifecycle version of $IMGEXT_LIFECYCLE_DIR (its folder is named v<version>). */
export function lifecycleVersion(): string {
  return basename(lifecycleDir()).replace(/^v/, '');
}

const INPUTS_LABEL = 'imgext.test.lifecycle-inputs';
/** What lifecycle 0.21 supports, as its image's io.buildpacks.lifecycle.apis label says. */
const LIFECYCLE_APIS = {
  buildpack: { deprecated: [], supported: ['0.7', '0.8', '0.9', '0.10', '0.11'] },
  platform: {
    deprecated: [],
    supported: ['0.7', '0.8', '0.9', '0.10', '0.11', '0.12', '0.13', '0.14', '0.15'],
  },
};

interface ImageClient {
  images: {
    find(
      ref: string,
    ): Promise<{ Config?: { Labels?: Record<string, string> | null } | null } | undefined>;
    // biome-ignore lint/suspicious/noExplicitAny: the engine client's own option types
    build(context: any, opts: any): Promise<unknown>;
  };
}

/**
 * Makes `tag` (default `buildpacksio/lifecycle:<version>`) unless the daemon has it from the same
 * lifecycle build. Never removed by tests: the engine is shared and the image is an input.
 */
export async function ensureLifecycleImage(
  client: ImageClient,
  tag = `buildpacksio/lifecycle:${lifecycleVersion()}`,
): Promise<string> {
  const dir = lifecycleDir();
  const inputs = `${(await readFile(join(dir, '.built-from'), 'utf8')).trim()}-4`;
  const found = await client.images.find(tag);
  if (found?.Config?.Labels?.[INPUTS_LABEL] === inputs) return tag;
  const ctx = await mkdtemp(join(tmpdir(), 'imgext-lifecycle-image-'));
  try {
    await cp(dir, join(ctx, 'lifecycle'), { recursive: true, verbatimSymlinks: true });
    await rm(join(ctx, 'lifecycle', '.built-from'), { force: true });
    // /tmp as in distroless: 1777 (the phases drop to the CNB user); ADD of a tar keeps modes.
    await mkdir(join(ctx, 'rootfs', 'tmp'), { recursive: true });
    await chmod(join(ctx, 'rootfs', 'tmp'), 0o1777);
    await run('tar', ['-C', join(ctx, 'rootfs'), '-cf', join(ctx, 'rootfs.tar'), 'tmp']);
    await rm(join(ctx, 'rootfs'), { recursive: true });
    await writeFile(
      join(ctx, 'Dockerfile'),
      [
        'FROM scratch',
        'ADD rootfs.tar /',
        'COPY lifecycle /cnb/lifecycle',
        `LABEL io.buildpacks.lifecycle.version=${lifecycleVersion()}`,
        `LABEL io.buildpacks.lifecycle.apis=${JSON.stringify(JSON.stringify(LIFECYCLE_APIS))}`,
        '',
      ].join('\n'),
    );
    const tar = spawn('tar', ['-C', ctx, '-cf', '-', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await client.images.build(tar.stdout as Readable, {
      tags: [tag],
      labels: { [INPUTS_LABEL]: inputs },
      networkMode: 'none',
    });
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
  return tag;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${cmd} exited with ${code}`)),
    );
  });
}
