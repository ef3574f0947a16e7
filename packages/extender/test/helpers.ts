// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax, not a template
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EngineClient } from '@imgext/engine-client';
import { extract } from 'tar-stream';
import type { ChainResult } from '../src/apply-chain.js';
import { cacheTag } from '../src/cache-tags.js';
import type { ExtendResult } from '../src/extend.js';

export const BUILD_IMAGE =
  process.env.IMGEXT_STACK_BUILD_IMAGE ?? 'imgext.local/stack/busybox:build';
export const RUN_IMAGE = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';

/** The engines to test against: IMGEXT_TEST_ENGINES ("name=unix://sock,..."), else DOCKER_HOST. */
export function testEngines(): Array<{ name: string; host: string }> {
  const list = process.env.IMGEXT_TEST_ENGINES;
  if (list) {
    return list.split(',').map((item) => {
      const eq = item.indexOf('=');
      return { name: item.slice(0, eq), host: item.slice(eq + 1) };
    });
  }
  if (!process.env.DOCKER_HOST) throw new Error('run `eval "$(tools/env up)"` first');
  return [{ name: 'DOCKER_HOST', host: process.env.DOCKER_HOST }];
}

/**
 * The engines to test against, each with every builder the extender would use there: the
 * classic builder everywhere, BuildKit on Docker (podman has none). IMGEXT_TEST_BUILDERS
 * ("classic", "buildkit" or both, comma-separated) narrows it.
 */
/** The builders of DOCKER_HOST's engine (BuildKit on Docker, the classic builder everywhere). */
export function dockerHostBuilders(): Array<'classic' | 'buildkit'> {
  return [
    ...new Set(
      testEngineBuilders()
        .filter((e) => e.host === process.env.DOCKER_HOST || !process.env.DOCKER_HOST)
        .map((e) => e.builder),
    ),
  ];
}

export function testEngineBuilders(): Array<{
  name: string;
  host: string;
  builder: 'classic' | 'buildkit';
}> {
  const wanted = (process.env.IMGEXT_TEST_BUILDERS ?? 'classic,buildkit').split(',');
  return testEngines().flatMap((e) =>
    (['classic', 'buildkit'] as const)
      .filter((b) => wanted.includes(b))
      .filter((b) => b === 'classic' || !isPodman(e))
      .map((builder) => ({ ...e, builder })),
  );
}

export const isPodman = (e: { name: string; host: string }) =>
  e.name.includes('podman') || e.host.includes('podman');

/** Writes a folder of files ({'a/b.txt': 'text'}) into a fresh temp dir. */
export async function tempTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'imgext-extender-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

/** afterAll timeout for suites that clean up images (slow on a loaded containerd store). */
export const CLEANUP_TIMEOUT = 600_000;

export const removeTree = (dir: string) => rm(dir, { recursive: true, force: true });

/**
 * Collects what a test creates in an engine (cache tags of applied chains, test tags) and
 * removes it in afterAll, so the suite leaves nothing behind.
 */
export class Leftovers {
  readonly refs = new Set<string>();
  /** Image IDs applied, removed newest first after the tags (re-tagged runs leave them dangling). */
  readonly ids: string[] = [];
  readonly dirs = new Set<string>();
  constructor(readonly engine: EngineClient) {}

  chain(kind: string, result: Pick<ChainResult, 'applied' | 'baseImageId'> | ExtendResult): void {
    let base = result.baseImageId;
    for (const a of result.applied) {
      this.refs.add(cacheTag(kind, a.extension, base));
      this.ids.push(a.imageId);
      base = a.imageId;
    }
  }

  /** The cache tag of one step applied to `baseImageId` (for chains that failed later). */
  step(kind: string, extension: string, baseImageId: string): void {
    this.refs.add(cacheTag(kind, extension, baseImageId));
  }

  /**
   * Images carrying `label` (every image built on a base that has it). With the containerd
   * image store the classic builder keeps each step's image, dangling once the tag moves on.
   */
  readonly labels = new Set<string>();

  async cleanup(): Promise<void> {
    for (const ref of this.refs) await this.engine.images.remove(ref).catch(() => undefined);
    for (const id of [...this.ids].reverse())
      await this.engine.images.remove(id).catch(() => undefined);
    for (const label of this.labels) {
      for (let pass = 0; pass < 3; pass++) {
        const images = await this.engine.images.list({ all: true, filters: { label: [label] } });
        if (images.length === 0) break;
        images.sort((a, b) => b.Created - a.Created);
        // A few removals at a time: the containerd store is slow to remove under load.
        for (let i = 0; i < images.length; i += 4) {
          await Promise.all(
            images
              .slice(i, i + 4)
              .map((img) =>
                this.engine.images.remove(img.Id, { force: true }).catch(() => undefined),
              ),
          );
        }
      }
    }
    for (const dir of this.dirs) await removeTree(dir);
  }
}

/** Reads one file of an image through a created (never started) container. */
export async function readFileInImage(
  engine: EngineClient,
  image: string,
  path: string,
): Promise<string> {
  const { Id } = await engine.containers.create({
    Image: image,
    Cmd: ['true'],
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    const archive = await engine.containers.getArchive(Id, path);
    const ex = extract();
    archive.pipe(ex);
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      if (e.header.type === 'file') {
        archive.destroy();
        return Buffer.concat(chunks).toString('utf8');
      }
    }
    throw new Error(`${path} is not a file in ${image}`);
  } finally {
    await engine.containers.remove(Id, { force: true });
  }
}

/** Ids of every container of the engine (to check that nothing was left behind). */
export async function containerIds(engine: EngineClient): Promise<string[]> {
  return (await engine.containers.list({ all: true })).map((c) => c.Id).sort();
}

export const buildDockerfile = (...lines: string[]) =>
  ['ARG base_image', 'FROM ${base_image}', ...lines, ''].join('\n');
export const runDockerfile = (...lines: string[]) =>
  ['FROM ${base_image}', ...lines, ''].join('\n');
