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
    const branches = events.flatMap((e) => (e.type === 'branch-end' ? [e] : []));
    expect(branches.map((b) => b.branch).sort()).toEqual(['build', 'extend-build', 'extend-run']);
    for (const b of branches) expect(b.durationMs).toBeGreaterThan(0);
    const applied = events.flatMap((e) =>
      e.type === 'extender' && e.event.type === 'extension.applied' ? [e.event.extension] : [],
    );
    expect(applied.sort()).toEqual(['imgext-samples/build-tool', 'imgext-samples/run-tool']);
    const filters = { label: [SESSION_LABEL] };
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
});
