/**
 * buildApp against the real daemon ($DOCKER_HOST), the real lifecycle in the sample builder and
 * the sample extensions (tools/env up makes them): the summary, the typed events, the error codes.
 * The CLI's end-to-end tests (apps/cli/test) cover the flags and every extension mix.
 */
import { EngineClient } from '@imgext/engine-client';
import { SESSION_LABEL } from '@imgext/lifecycle';
import { removeDirIfAny, SAMPLE_BUILDER, sampleApp } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './build-app.js';
import type { BuildEvent } from './build-events.js';
import { cacheVolumes } from './cache-volumes.js';

const image = 'imgext-test/lifecycle-build-app:latest';
let client: EngineClient;
let app: string | undefined;

beforeAll(async () => {
  client = await EngineClient.connect();
});

afterAll(async () => {
  await client.images.remove(image, { force: true }).catch(() => undefined);
  const caches = cacheVolumes(image);
  for (const v of [caches.build, caches.launch])
    await client.volumes.remove(v, { force: true }).catch(() => undefined);
  await removeDirIfAny(app);
  await client?.close();
});

describe('buildApp', () => {
  it('builds with a build and a run extension: the summary, events in order, nothing left', async () => {
    app = await sampleApp('build run');
    const events: BuildEvent[] = [];
    const summary = await buildApp(
      client,
      { image, builder: SAMPLE_BUILDER, appDir: app, trustBuilder: true },
      { onEvent: (e) => events.push(e) },
    );
    expect(summary).toMatchObject({
      image,
      imageId: (await client.images.inspect(image)).Id,
      extensions: ['imgext-samples/build-tool', 'imgext-samples/run-tool'],
      buildImage: { applied: ['imgext-samples/build-tool'] },
      runImage: { applied: ['imgext-samples/run-tool'], rebasable: 'true' },
    });
    expect(events[0]).toMatchObject({ type: 'build-start', image, builder: SAMPLE_BUILDER });
    expect(events).toContainEqual({
      type: 'lifecycle-image',
      builder: SAMPLE_BUILDER,
      image: undefined,
      source: 'trusted',
    });
    const phasesEnded = events.flatMap((e) =>
      e.type === 'lifecycle' && e.event.type === 'phase-end' ? [e.event.phase] : [],
    );
    expect(phasesEnded).toEqual(['analyzer', 'detector', 'restorer', 'builder', 'exporter']);
    // The critical path: both extensions start right after detect, before the restorer ends.
    const at = (match: (e: BuildEvent) => boolean) => events.findIndex(match);
    const restorerEnd = at(
      (e) => e.type === 'lifecycle' && e.event.type === 'phase-end' && e.event.phase === 'restorer',
    );
    const detectorEnd = at(
      (e) => e.type === 'lifecycle' && e.event.type === 'phase-end' && e.event.phase === 'detector',
    );
    for (const branch of ['extend-build', 'extend-run']) {
      const start = at((e) => e.type === 'branch-start' && e.branch === branch);
      expect(start, branch).toBeGreaterThan(detectorEnd);
      expect(start, branch).toBeLessThan(restorerEnd);
    }
    const builderStart = at(
      (e) =>
        e.type === 'lifecycle' && e.event.type === 'phase-start' && e.event.phase === 'builder',
    );
    expect(builderStart).toBeGreaterThan(restorerEnd);
    // Timings for a benchmark: each phase container's own run and its removal (off the critical
    // path), the archive calls between phases, the app upload.
    const timings = events.flatMap((e) =>
      e.type === 'lifecycle' && e.event.type === 'phase-timing' ? [e.event] : [],
    );
    expect(timings.map((t) => t.phase).sort()).toEqual([
      'analyzer',
      'builder',
      'detector',
      'exporter',
      'restorer',
    ]);
    for (const t of timings) expect(t.processMs, JSON.stringify(t)).toBeGreaterThanOrEqual(0);
    const archives = events.flatMap((e) =>
      e.type === 'lifecycle' && e.event.type === 'archive' ? [e.event.path] : [],
    );
    expect(archives).toContain('/layers');
    expect(events.some((e) => e.type === 'lifecycle' && e.event.type === 'upload-end')).toBe(true);
    const branches = events.flatMap((e) => (e.type === 'branch-end' ? [e] : []));
    expect(branches.map((b) => b.branch).sort()).toEqual(['build', 'extend-build', 'extend-run']);
    for (const b of branches) expect(b.durationMs).toBeGreaterThan(0);
    const applied = events.flatMap((e) =>
      e.type === 'extender' && e.event.type === 'extension.applied' ? [e.event.extension] : [],
    );
    expect(applied.sort()).toEqual(['imgext-samples/build-tool', 'imgext-samples/run-tool']);
    // This build's session only: other builds share the engine.
    const filters = { label: [SESSION_LABEL, `io.imgext.build=${image}`] };
    expect(await client.containers.list({ all: true, filters })).toEqual([]);
    expect(await client.volumes.list({ filters })).toEqual([]);
  });

  it('a builder the daemon lacks with pull policy never: ERR_BUILDER_NOT_FOUND, no event', async () => {
    const events: BuildEvent[] = [];
    const build = buildApp(
      client,
      {
        image: 'imgext-test/never:latest',
        builder: 'imgext-test/no-such-builder:latest',
        appDir: '.',
        pullPolicy: 'never',
      },
      { onEvent: (e) => events.push(e) },
    );
    await expect(build).rejects.toMatchObject({
      name: 'BuildAppError',
      code: 'ERR_BUILDER_NOT_FOUND',
    });
    expect(events).toEqual([]);
  });

  it('pull policy always, the pull fails, the daemon has the builder: says the pull failed and why', async () => {
    // A registry nobody listens on (loopback): the pull fails, the local tag stays.
    const local = '127.0.0.1:1/imgext-test/local-only-builder:latest';
    await client.images.tag(SAMPLE_BUILDER, '127.0.0.1:1/imgext-test/local-only-builder', 'latest');
    try {
      const err = await buildApp(client, {
        image: 'imgext-test/never:latest',
        builder: local,
        appDir: '.',
        pullPolicy: 'always',
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        name: 'BuildAppError',
        code: 'ERR_BUILDER_PULL_FAILED',
        hint: expect.stringContaining('if-not-present'),
      });
      expect((err as Error).message).toContain(`builder ${local} could not be pulled`);
      expect((err as Error).message).not.toContain('is not in the daemon');
      expect((err as Error).message).toMatch(/127\.0\.0\.1:1/);
    } finally {
      await client.images.remove(local).catch(() => undefined);
    }
  });
});
