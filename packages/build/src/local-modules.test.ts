/**
 * Local buildpacks and extensions (pack's `--buildpack ./dir`) against the real daemon and the
 * real lifecycle of the sample builder: a local buildpack beside the builder's own, a local
 * extension whose Dockerfiles the extender applies, and the checks made before the engine is
 * asked anything.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import {
  ensureLifecycleImage,
  markerBuildpack,
  markerExtension,
  SAMPLE_BUILDER,
  sampleApp,
} from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './build-app.js';
import { BuildAppError } from './build-error.js';
import type { BuildEvent } from './build-events.js';
import { cacheVolumes } from './cache-volumes.js';
import { readLocalModule } from './local-modules.js';

const run = Math.random().toString(36).slice(2, 8);
const images: string[] = [];
const dirs: string[] = [];
let client: EngineClient;
let scratch: string;

/** `cat` of files in the image, as its CNB user. */
async function catIn(image: string, ...paths: string[]): Promise<string> {
  let out = '';
  const { exitCode } = await client.containers.run(
    { Image: image, Entrypoint: ['cat'], Cmd: paths, HostConfig: { NetworkMode: 'none' } },
    { onOutput: (c) => (out += c.data.toString()) },
  );
  if (exitCode !== 0) throw new Error(`cat ${paths.join(' ')} in ${image}: ${exitCode} ${out}`);
  return out;
}

/** The containers and volumes of the sessions of builds of `image` still in the engine. */
async function leftovers(image: string): Promise<number> {
  // One label only: podman matches any of several label filters.
  const filters = { label: [`io.imgext.build=${image}`] };
  const c = await client.containers.list({ all: true, filters });
  const v = await client.volumes.list({ filters });
  return c.length + v.length;
}

beforeAll(async () => {
  client = await EngineClient.connect();
  scratch = await mkdtemp(join(tmpdir(), 'imgext-local-modules-'));
  dirs.push(scratch);
});

afterAll(async () => {
  for (const i of images) {
    await client.images.remove(i, { force: true }).catch(() => undefined);
    const caches = cacheVolumes(i);
    for (const v of [caches.build, caches.launch])
      await client.volumes.remove(v, { force: true }).catch(() => undefined);
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await client?.close();
});

describe('local buildpacks and extensions', () => {
  it('a local buildpack folder beside the builder own buildpack (untrusted builder): both ran, in the order given', async () => {
    const image = `imgext-test/local-bp-${run}:latest`;
    await ensureLifecycleImage(client);
    images.push(image);
    const bp = await markerBuildpack(join(scratch, 'bp'), `marker ${run}`);
    const app = await sampleApp('');
    dirs.push(app);
    const events: BuildEvent[] = [];
    await buildApp(
      client,
      {
        image,
        builder: SAMPLE_BUILDER,
        appDir: app,
        buildpacks: [{ path: bp }, 'imgext-samples/hello'],
      },
      { onEvent: (e) => events.push(e) },
    );
    expect(await catIn(image, '/layers/imgext-test_marker/marker/marker.txt')).toBe(
      `marker ${run}\n`,
    );
    const logs = events.flatMap((e) =>
      e.type === 'lifecycle' && e.event.type === 'phase-log' ? [e.event.line] : [],
    );
    const marker = logs.findIndex((l) => l.includes('marker: wrote the marker'));
    const hello = logs.findIndex((l) => l.includes('hello: build number'));
    expect(marker).toBeGreaterThanOrEqual(0);
    expect(hello).toBeGreaterThan(marker);
    const md = JSON.parse(
      (await client.images.inspect(image)).Config?.Labels?.['io.buildpacks.build.metadata'] ?? '{}',
    );
    expect(md.buildpacks.map((b: { id: string }) => b.id)).toEqual([
      'imgext-test/marker',
      'imgext-samples/hello',
    ]);
    expect(await leftovers(image)).toBe(0);
  });

  it('a local .tgz of a buildpack, and a local extension folder: its Dockerfiles extend both images', async () => {
    const image = `imgext-test/local-ext-${run}:latest`;
    images.push(image);
    const src = await markerBuildpack(
      join(scratch, 'tgz-src'),
      `archived ${run}`,
      'imgext-test/tgz',
    );
    const tgz = join(scratch, 'marker.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', src, '.']);
    const ext = await markerExtension(join(scratch, 'ext'));
    const app = await sampleApp('');
    dirs.push(app);
    const summary = await buildApp(client, {
      image,
      builder: SAMPLE_BUILDER,
      appDir: app,
      trustBuilder: true,
      buildpacks: [tgz, 'imgext-samples/hello@0.0.1'],
      extensions: [{ path: ext }],
    });
    expect(summary.extensions).toEqual(['imgext-test/marker-ext']);
    expect(summary.buildImage?.applied).toEqual(['imgext-test/marker-ext']);
    expect(summary.runImage?.applied).toEqual(['imgext-test/marker-ext']);
    expect(await catIn(image, '/layers/imgext-test_tgz/marker/marker.txt')).toBe(
      `archived ${run}\n`,
    );
    // The build image extension's file, as the buildpack saw it in the build phase.
    expect(await catIn(image, '/layers/imgext-test_tgz/marker/build-ext.txt')).toBe(
      'build from the local extension\n',
    );
    // The run image extension's file is in the image itself.
    expect(await catIn(image, '/etc/imgext-local-run')).toBe('run from the local extension\n');
    expect(await leftovers(image)).toBe(0);
  });

  it('what is wrong with a local module: a stable code naming the file, nothing made in the engine', async () => {
    const bad = join(scratch, 'bad');
    const cases: Array<[string, () => Promise<string>, string, 'buildpack' | 'extension', string]> =
      [
        [
          'missing',
          async () => join(bad, 'nope'),
          'ERR_LOCAL_MODULE_NOT_FOUND',
          'buildpack',
          'no such folder or archive',
        ],
        [
          'empty folder',
          async () => {
            await mkdir(join(bad, 'empty'), { recursive: true });
            return join(bad, 'empty');
          },
          'ERR_LOCAL_MODULE_NO_DESCRIPTOR',
          'buildpack',
          'has neither buildpack.toml nor extension.toml',
        ],
        [
          'extension as buildpack',
          async () => markerExtension(join(bad, 'ext')),
          'ERR_LOCAL_MODULE_WRONG_KIND',
          'buildpack',
          'is an extension',
        ],
        [
          'buildpack as extension',
          async () => markerBuildpack(join(bad, 'bp'), 'x'),
          'ERR_LOCAL_MODULE_WRONG_KIND',
          'extension',
          'is a buildpack',
        ],
        [
          'invalid toml',
          async () => {
            const d = await markerBuildpack(join(bad, 'toml'), 'x');
            await writeFile(join(d, 'buildpack.toml'), '[buildpack\nid = 1\n');
            return d;
          },
          'ERR_LOCAL_MODULE_INVALID',
          'buildpack',
          `${join(bad, 'toml', 'buildpack.toml')}: not valid TOML`,
        ],
        [
          'no bin/build',
          async () => {
            const d = await markerBuildpack(join(bad, 'nobuild'), 'x');
            await rm(join(d, 'bin', 'build'));
            return d;
          },
          'ERR_LOCAL_MODULE_MISSING_BIN',
          'buildpack',
          'has no bin/build',
        ],
        [
          'no bin/generate',
          async () => {
            const d = await markerExtension(join(bad, 'nogen'));
            await rm(join(d, 'bin', 'generate'));
            return d;
          },
          'ERR_LOCAL_MODULE_MISSING_BIN',
          'extension',
          'has no bin/generate',
        ],
        [
          'not an archive',
          async () => {
            await mkdir(bad, { recursive: true });
            await writeFile(join(bad, 'junk.tgz'), 'not a tar archive at all\n'.repeat(40));
            return join(bad, 'junk.tgz');
          },
          'ERR_LOCAL_MODULE_ARCHIVE',
          'buildpack',
          'is not a tar archive',
        ],
      ];
    const image = `imgext-test/local-bad-${run}:latest`;
    for (const [what, make, code, kind, message] of cases) {
      const path = await make();
      const events: BuildEvent[] = [];
      const err = await buildApp(
        client,
        {
          image,
          builder: SAMPLE_BUILDER,
          appDir: scratch,
          trustBuilder: true,
          ...(kind === 'buildpack' ? { buildpacks: [{ path }] } : { extensions: [{ path }] }),
        },
        { onEvent: (e) => events.push(e) },
      ).catch((e: unknown) => e);
      expect(err, what).toBeInstanceOf(BuildAppError);
      expect((err as BuildAppError).code, what).toBe(code);
      expect((err as BuildAppError).message, what).toContain(message);
      // Nothing asked of the engine: no event at all.
      expect(events, what).toEqual([]);
      // The same check alone.
      await expect(
        readLocalModule({ path }, kind, async () => mkdtemp(join(bad, 'x-'))),
      ).rejects.toThrow(message);
    }
    expect(await leftovers(image)).toBe(0);
  });
});
