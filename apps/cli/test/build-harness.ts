/**
 * Helpers of the `imgext build` end-to-end tests: run the CLI in-process against $DOCKER_HOST,
 * make sample apps that select the sample extensions, run the built image, count what the daemon
 * holds, and remove what a test made.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EngineClient } from '@imgext/engine-client';
import { cacheVolumes, SESSION_LABEL } from '@imgext/lifecycle';
import { main } from '../src/main.js';

export const SAMPLE_BUILDER =
  process.env.IMGEXT_SAMPLE_BUILDER ?? 'imgext.local/sample/builder:latest';
export const SAMPLE_APP = resolve(import.meta.dirname, '../../../tools/sample/app');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The JSON lines of stdout (with --json). */
  lines: Array<Record<string, unknown>>;
}

export async function runCli(
  argv: string[],
  opts: {
    signal?: AbortSignal;
    onLine?: (line: Record<string, unknown>) => void;
    env?: Record<string, string | undefined>;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let pending = '';
  const code = await main(argv, {
    env: opts.env ?? process.env,
    cwd: process.cwd(),
    ...(opts.signal ? { signal: opts.signal } : {}),
    stdout: {
      write: (t: string) => {
        stdout += t;
        pending += t;
        const parts = pending.split('\n');
        pending = parts.pop() ?? '';
        for (const p of parts) if (p.startsWith('{')) opts.onLine?.(JSON.parse(p));
      },
    },
    stderr: { write: (t: string) => (stderr += t) },
  });
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stdout, stderr, lines };
}

/** A copy of the sample app whose `sample-extensions` file selects `words` (see tools/sample). */
export async function sampleApp(words: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'imgext-app-'));
  await cp(SAMPLE_APP, dir, { recursive: true });
  await writeFile(join(dir, 'sample-extensions'), `${words}\n`);
  return dir;
}

/** Runs the image's default process; resolves its stdout. */
export async function runImage(client: EngineClient, image: string): Promise<string> {
  let out = '';
  const { exitCode } = await client.containers.run(
    { Image: image, HostConfig: { NetworkMode: 'none' } },
    { onOutput: (c) => (out += c.data.toString()) },
  );
  if (exitCode !== 0) throw new Error(`${image} exited with ${exitCode}: ${out}`);
  return out;
}

/**
 * What imgext builds leave in the daemon: containers and volumes carrying the session label
 * (the engine is shared, so only ours are counted), and whether `image` exists.
 */
export async function leftovers(
  client: EngineClient,
  image?: string,
): Promise<{ containers: number; volumes: number; image: boolean }> {
  const filters = { label: [SESSION_LABEL] };
  const containers = await client.containers.list({ all: true, filters });
  const volumes = await client.volumes.list({ filters });
  return {
    containers: containers.length,
    volumes: volumes.length,
    image: image ? (await client.images.find(image)) !== undefined : false,
  };
}

/** Removes a test image and its cache volumes. */
export async function removeBuilt(client: EngineClient, image: string): Promise<void> {
  await client.images.remove(image, { force: true }).catch(() => undefined);
  const caches = cacheVolumes(image);
  for (const v of [caches.build, caches.launch])
    await client.volumes.remove(v, { force: true }).catch(() => undefined);
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
