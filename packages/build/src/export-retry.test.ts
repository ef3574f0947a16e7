/**
 * The export retry (docs/build-flow.md, "Known issue: invalid diffID") with the real upstream
 * lifecycle v0.21.17: the daemon phases run in $IMGEXT_LIFECYCLE_UPSTREAM_IMAGE (tools/env builds it
 * from tools/lifecycle without its go-containerregistry replace), as they do with the lifecycle image
 * of every builder users have. The state that makes its daemon export send the wrong layer data:
 * an app image (with a build and a run extension) is the previous image of a build onto another run
 * image (so every reused layer has a new chain ID and the daemon reads its data from the load tar),
 * and the new image's launch cache is empty (so the lifecycle takes the reused layers from the
 * previous image, not from the cache): pack's `--previous-image` onto a changed run image.
 *
 * Per engine: with the retry off the export really fails with the daemon's error (the fallback is
 * needed): `invalid diffID for layer N` on Docker's classic image store, `wrong diff id calculated
 * on extraction` on its containerd image store (which keeps the broken image tagged), podman's
 * `Layer tarfile … used for two different DiffID values`. With it on the build succeeds through
 * `export-retry`, the image runs with the app and the new run image, and the next build reuses its
 * layers without a retry; the project's lifecycle (go-containerregistry pinned; the sample
 * builder's own, trusted) builds the same state without one. The previous image is built trusted
 * too: how it was made does not matter, and on podman untrusted builds sometimes fail detection
 * (below), so this file makes as few of them as it can.
 */
import { EngineClient } from '@imgext/engine-client';
import { LifecycleError } from '@imgext/lifecycle';
import { removeDirIfAny, SAMPLE_BUILDER, sampleApp, testEngines } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReuseDiffIdError } from './analyzed-file.js';
import { type BuildOptions, buildApp } from './build-app.js';
import type { BuildEvent } from './build-events.js';
import { cacheVolumes } from './cache-volumes.js';

const UPSTREAM = process.env.IMGEXT_LIFECYCLE_UPSTREAM_IMAGE;
const RUN_ALT = 'imgext.local/stack/busybox:run-alt';

/**
 * Why an engine's tests are skipped. podman: its untrusted builds (daemon phases in a lifecycle
 * image, as here) sometimes fail detection with `fork/exec /cnb/…/bin/detect: permission denied`
 * for every buildpack and extension of the sample builder: in 5 of 12 runs of this file (then
 * with five untrusted builds) while other tests used the engine, in any of its untrusted builds
 * (with the project's lifecycle image too); none in a loop of 8 untrusted and 8 trusted builds of
 * the plain sample, nor in 5 runs of this file as it is now (three untrusted builds) on a quiet
 * engine. Not the retry's doing, cause unknown. The retry itself works there (the tests pass
 * whenever detection does): IMGEXT_TEST_PODMAN_UNTRUSTED=1 runs them.
 */
function skipReason(engine: { podman: boolean }): string | undefined {
  if (engine.podman && process.env.IMGEXT_TEST_PODMAN_UNTRUSTED !== '1') {
    return "podman's untrusted builds fail detection intermittently (permission denied); IMGEXT_TEST_PODMAN_UNTRUSTED=1 runs it";
  }
  return undefined;
}

describe.each(
  testEngines().map((e) => {
    const skipped = skipReason(e);
    return { ...e, skipped, note: skipped ? ` (skipped: ${skipped})` : '' };
  }),
)('the export retry on $name$note', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const run = Math.random().toString(36).slice(2, 8);
  const name = (what: string) => `imgext-test/export-retry-${run}-${what}:latest`;
  const previous = name('previous');
  const made: string[] = [previous];
  let app: string | undefined;

  /** The build of `image` onto run-alt, reusing `previous`'s layers (a new launch cache). */
  const rebuild = async (image: string, more: Partial<BuildOptions> = {}) => {
    made.push(image);
    const events: BuildEvent[] = [];
    const summary = await buildApp(
      client,
      {
        image,
        builder: SAMPLE_BUILDER,
        appDir: app as string,
        runImage: RUN_ALT,
        previousImage: previous,
        ...(more.trustBuilder ? {} : { lifecycleImage: UPSTREAM as string }),
        ...more,
      },
      { onEvent: (e) => events.push(e) },
    ).catch((err: unknown) => ({ err }));
    return { summary, events };
  };
  const retries = (events: BuildEvent[]) => events.filter((e) => e.type === 'export-retry');
  const output = async (image: string) => {
    let out = '';
    const { exitCode } = await client.containers.run(
      { Image: image, HostConfig: { NetworkMode: 'none' } },
      { onOutput: (c) => (out += c.data.toString()) },
    );
    expect(exitCode, out).toBe(0);
    return out;
  };

  beforeAll(async () => {
    if (engine.skipped) return;
    if (!UPSTREAM)
      throw new Error('IMGEXT_LIFECYCLE_UPSTREAM_IMAGE is not set: eval "$(tools/env up)"');
    app = await sampleApp('build run');
    // How the previous image was made does not matter (the bug is in the rebuild's export): the
    // builder's own lifecycle (the project's) makes it.
    await buildApp(client, {
      image: previous,
      builder: SAMPLE_BUILDER,
      appDir: app,
      trustBuilder: true,
    });
  }, 300_000);

  afterAll(async () => {
    for (const i of made) {
      await client.images.remove(i, { force: true }).catch(() => undefined);
      const caches = cacheVolumes(i);
      for (const v of [caches.build, caches.launch])
        await client.volumes.remove(v, { force: true }).catch(() => undefined);
    }
    await removeDirIfAny(app);
    await client.close();
  }, 120_000);

  it.skipIf(engine.skipped)(
    'without the retry the upstream export fails: the daemon refused the reused layers',
    async () => {
      const image = name('no-retry');
      const { summary, events } = await rebuild(image, { exportRetry: false });
      expect(summary).toHaveProperty('err');
      const { err } = summary as { err: unknown };
      expect(err).toBeInstanceOf(LifecycleError);
      expect(err).toMatchObject({ phase: 'exporter' });
      const text = [(err as LifecycleError).message, ...(err as LifecycleError).logTail].join('\n');
      expect(isReuseDiffIdError(err), text).toBe(true);
      // What the bug looks like on each engine (analyzed-file.ts, REUSE_DIFF_ID_ERRORS).
      expect(text).toMatch(
        engine.podman
          ? /payload does not match any of the supported image formats:[\s\S]*docker-archive: .*Layer tarfile \/sha256:[0-9a-f]{64}\.tar used for two different DiffID values/
          : engine.containerdStore
            ? /failed to unpack loaded image: wrong diff id calculated on extraction "sha256:[0-9a-f]{64}"/
            : /invalid diffID for layer \d+: expected "sha256:[0-9a-f]{64}", got "sha256:[0-9a-f]{64}"/,
      );
      expect(retries(events)).toEqual([]);
      const left = await client.images.find(image);
      if (!engine.containerdStore) {
        expect(left).toBeUndefined();
      } else {
        // The containerd image store keeps and tags the image whose unpack failed; a container of
        // it fails as the load did. A retry (next test) tags the good image over it.
        expect(left).toBeDefined();
        await expect(
          client.containers.run({ Image: image, HostConfig: { NetworkMode: 'none' } }),
        ).rejects.toThrow(/wrong diff id calculated on extraction/);
      }
    },
    300_000,
  );

  it.skipIf(engine.skipped)(
    'with it the build succeeds through one export-retry, the image runs, the next build needs none',
    async () => {
      const image = name('retry');
      const first = await rebuild(image);
      expect(first.summary).not.toHaveProperty('err');
      expect(first.events).toContainEqual(
        expect.objectContaining({ type: 'lifecycle-image', image: UPSTREAM, source: 'given' }),
      );
      expect(retries(first.events)).toEqual([
        { type: 'export-retry', image, reason: expect.stringContaining('exporter') },
      ]);
      const out = await output(image);
      expect(out).toContain('greeting: ');
      expect(out).toContain('run image tool: run-tool 1.0');
      expect(out).toContain(`run image: ${RUN_ALT}`);
      // Its own previous image and launch cache now: the reused layers come from the cache.
      const again = await rebuild(image, { previousImage: image });
      expect(again.summary).not.toHaveProperty('err');
      expect(retries(again.events)).toEqual([]);
      expect(await output(image)).toBe(out);
    },
    600_000,
  );

  it.skipIf(engine.skipped)(
    "the project's lifecycle (go-containerregistry pinned) exports the same state without a retry",
    async () => {
      const image = name('pinned');
      // Trusted: the daemon phases run in the sample builder, whose lifecycle is the project's.
      const { summary, events } = await rebuild(image, { trustBuilder: true });
      expect(summary).not.toHaveProperty('err');
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'lifecycle-image', image: undefined, source: 'trusted' }),
      );
      expect(retries(events)).toEqual([]);
      expect(await output(image)).toContain(`run image: ${RUN_ALT}`);
    },
    300_000,
  );
});
