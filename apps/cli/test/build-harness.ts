/**
 * Helpers of the `imgext build` end-to-end tests: run the CLI in-process against $DOCKER_HOST,
 * make sample apps that select the sample extensions, run the built image, count what the daemon
 * holds, and remove what a test made.
 */

import { cacheVolumes, LOCK_LABEL } from '@imgext/build';
import type { EngineClient } from '@imgext/engine-client';
import { SESSION_LABEL } from '@imgext/lifecycle';
import { captureOutput, removeDirIfAny, SAMPLE_BUILDER } from '@imgext/test-support';
import { main } from '../src/main.js';

export { removeDirIfAny as removeDir, SAMPLE_BUILDER, sampleApp } from '@imgext/test-support';

/** `imgext build <image>` of `app` with the sample builder, trusted, JSON output, then `extra`. */
export function buildArgv(image: string, app: string, extra: string[] = []): string[] {
  return [
    'build',
    image,
    '--builder',
    SAMPLE_BUILDER,
    '--path',
    app,
    '--trust-builder',
    '--json',
    ...extra,
  ];
}

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
  const io = captureOutput(opts.onLine ? { onJsonLine: opts.onLine } : {});
  const code = await main(argv, {
    env: opts.env ?? process.env,
    cwd: process.cwd(),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...io.streams,
  });
  return { code, stdout: io.stdout(), stderr: io.stderr(), lines: io.jsonLines() };
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
 * The filters of the session containers and volumes of builds of `image`: imgext labels them
 * with the image they build (`io.imgext.build`, as given), so the sessions of other tests
 * building on the same engine at the same time never match. Each test builds its own image name.
 */
export function sessionFilters(image: string): { label: string[] } {
  return { label: [SESSION_LABEL, `io.imgext.build=${image}`] };
}

/**
 * What imgext builds of `image` leave in the daemon: containers and volumes of their sessions
 * (this test's own only, see sessionFilters) and the lock on its caches, and whether `image`
 * exists.
 */
export async function leftovers(
  client: EngineClient,
  image: string,
): Promise<{ containers: number; volumes: number; image: boolean }> {
  const filters = sessionFilters(image);
  const containers = [
    ...(await client.containers.list({ all: true, filters })),
    // The lock on the image's caches (build-lock.ts), held while a build of it runs.
    ...(await client.containers.list({
      all: true,
      filters: { label: [`${LOCK_LABEL}=${image}`] },
    })),
  ];
  const volumes = await client.volumes.list({ filters });
  return {
    containers: containers.length,
    volumes: volumes.length,
    // An invalid reference names no image (the daemon answers 400 to it).
    image: (await client.images.find(image).catch(() => undefined)) !== undefined,
  };
}

/**
 * Removes the session containers and volumes of builds of `image`, and the lock on its caches
 * (a daemon the CLI lost left them: it could not remove them).
 */
export async function removeSessionsOf(client: EngineClient, image: string): Promise<void> {
  const filters = sessionFilters(image);
  for (const c of await client.containers.list({ all: true, filters }))
    await client.containers.remove(c.Id, { force: true });
  const locks = { label: [`${LOCK_LABEL}=${image}`] };
  for (const c of await client.containers.list({ all: true, filters: locks }))
    await client.containers.remove(c.Id, { force: true });
  for (const v of await client.volumes.list({ filters }))
    await client.volumes.remove(v.Name, { force: true });
}

/** The cache volumes of `image` that exist. */
export async function cacheVolumesOf(client: EngineClient, image: string): Promise<string[]> {
  const caches = cacheVolumes(image);
  const found: string[] = [];
  for (const name of [caches.build, caches.launch]) {
    if (
      await client.volumes.inspect(name).then(
        () => true,
        () => false,
      )
    )
      found.push(name);
  }
  return found;
}

/** Removes a test image and its cache volumes. */
export async function removeBuilt(client: EngineClient, image: string): Promise<void> {
  await client.images.remove(image, { force: true }).catch(() => undefined);
  const caches = cacheVolumes(image);
  for (const v of [caches.build, caches.launch])
    await client.volumes.remove(v, { force: true }).catch(() => undefined);
}

/** What a test file made (images with their cache volumes, app folders), removed in afterAll. */
export class Made {
  readonly images: string[] = [];
  readonly dirs: string[] = [];

  image(ref: string): string {
    this.images.push(ref);
    return ref;
  }

  dir(path: string): string {
    this.dirs.push(path);
    return path;
  }

  async remove(client: EngineClient): Promise<void> {
    for (const image of this.images) await removeBuilt(client, image);
    for (const dir of this.dirs) await removeDirIfAny(dir);
  }
}
