/**
 * A lifecycle image the caller gave is checked up front, on every engine: one that is not a
 * lifecycle image (here the stack's run image) is refused with ERR_NOT_A_LIFECYCLE_IMAGE naming it
 * and --lifecycle-image, before the build creates anything in the engine; lifecycle images (both
 * the project's and the upstream one) and a builder (it holds /cnb/lifecycle) are taken.
 */
import { EngineClient } from '@imgext/engine-client';
import { packFiles } from '@imgext/lifecycle';
import {
  RUN_IMAGE,
  removeDirIfAny,
  SAMPLE_BUILDER,
  sampleApp,
  testEngines,
} from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from './build-app.js';
import { BuildAppError } from './build-error.js';
import type { BuildEvent } from './build-events.js';
import { LOCK_LABEL } from './build-lock.js';
import { cacheVolumes } from './cache-volumes.js';
import { chooseLifecycleImage, defaultLifecycleImage } from './lifecycle-image.js';

const UPSTREAM = process.env.IMGEXT_LIFECYCLE_UPSTREAM_IMAGE;

describe.each(testEngines())('the given lifecycle image on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const choose = (lifecycleImage: string) =>
    chooseLifecycleImage(client, {
      builder: SAMPLE_BUILDER,
      lifecycleVersion: '0.21.17',
      trustBuilder: false,
      lifecycleImage,
      pullPolicy: 'never',
    });
  let app: string;

  beforeAll(async () => {
    app = await sampleApp('lifecycle image');
  });
  afterAll(async () => {
    await removeDirIfAny(app);
    await client.close();
  });

  it('an image that is not a lifecycle image is refused, naming it and the flag', async () => {
    const err = await choose(RUN_IMAGE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildAppError);
    expect(err).toMatchObject({ code: 'ERR_NOT_A_LIFECYCLE_IMAGE' });
    expect((err as Error).message).toContain(
      `${RUN_IMAGE} (--lifecycle-image) is not a lifecycle image`,
    );
    expect((err as BuildAppError).hint).toContain('--lifecycle-image');
  });

  it('an image made by hand that holds /cnb/lifecycle is taken without the labels, and leaves no container', async () => {
    const handMade = `imgext-test/hand-made-lifecycle-${engine.name}:latest`;
    const dockerfile = `FROM ${SAMPLE_BUILDER} AS builder\nFROM ${RUN_IMAGE}\nCOPY --from=builder /cnb/lifecycle /cnb/lifecycle\n`;
    await client.images.build(
      packFiles([{ path: 'Dockerfile', content: dockerfile }], { uid: 0, gid: 0 }),
      { tags: [handMade], networkMode: 'none' },
    );
    try {
      const labels = (await client.images.inspect(handMade)).Config?.Labels ?? {};
      expect(Object.keys(labels).filter((l) => l.startsWith('io.buildpacks.lifecycle'))).toEqual(
        [],
      );
      await expect(choose(handMade)).resolves.toEqual({ image: handMade, source: 'given' });
      const probes = await client.containers.list({
        all: true,
        filters: { label: ['io.imgext.probe=lifecycle-image'] },
      });
      expect(probes).toEqual([]);
      // Remembered by image ID: the next build does not look inside again.
      const creates = vi.spyOn(client.containers, 'create');
      try {
        await expect(choose(handMade)).resolves.toEqual({ image: handMade, source: 'given' });
        expect(creates).not.toHaveBeenCalled();
      } finally {
        creates.mockRestore();
      }
    } finally {
      await client.images.remove(handMade, { force: true }).catch(() => undefined);
    }
  });

  it('lifecycle images and a builder are taken', async () => {
    const images = [
      defaultLifecycleImage('0.21.17'),
      SAMPLE_BUILDER,
      ...(UPSTREAM ? [UPSTREAM] : []),
    ];
    for (const image of images) {
      await expect(choose(image)).resolves.toEqual({ image, source: 'given' });
    }
  });

  it('buildApp refuses it before creating anything in the engine', async () => {
    const image = `imgext-test/not-lifecycle-${Math.random().toString(36).slice(2, 8)}:latest`;
    const events: BuildEvent[] = [];
    const err = await buildApp(
      client,
      {
        image,
        builder: SAMPLE_BUILDER,
        appDir: app,
        lifecycleImage: RUN_IMAGE,
        pullPolicy: 'never',
      },
      { onEvent: (e) => events.push(e) },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_NOT_A_LIFECYCLE_IMAGE' });
    expect(events.map((e) => e.type)).not.toContain('lifecycle');
    const filters = { label: [`io.imgext.build=${image}`] };
    expect(await client.containers.list({ all: true, filters })).toEqual([]);
    expect(
      await client.containers.list({ all: true, filters: { label: [`${LOCK_LABEL}=${image}`] } }),
    ).toEqual([]);
    expect(await client.volumes.list({ filters })).toEqual([]);
    const caches = cacheVolumes(image);
    for (const name of [caches.build, caches.launch]) {
      await expect(client.volumes.inspect(name)).rejects.toThrow();
    }
  });
});
