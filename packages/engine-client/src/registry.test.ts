import { removeImagesOf, testEngines, unique } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUniqueImage } from '../test/unique-image.js';
import type { PullProgressEvent } from './api.js';
import { EngineClient } from './client.js';
import { EngineError, PullError } from './errors.js';

const registry = process.env.IMGEXT_REGISTRY ?? '127.0.0.1:5000';

describe.each(testEngines())('registry push and pull on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const repo = `${registry}/imgext-test/${unique('push')}`;
  const ref = `${repo}:v1`;
  let pushedDigest = '';

  beforeAll(() => buildUniqueImage(client, repo, ref));

  afterAll(async () => {
    await removeImagesOf(client, repo);
    await client.close();
  });

  it('pushes to the local registry and reports the digest', async () => {
    const events: PullProgressEvent[] = [];
    const result = await client.images.push(ref, {
      onProgress: (e) => events.push(e),
      // podman does not treat 127.0.0.1 as an insecure registry by itself
      ...(engine.podman ? { tlsVerify: false } : {}),
    });
    expect(events.length).toBeGreaterThan(0);
    expect(result).toMatchObject({
      tag: 'v1',
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    pushedDigest = result.digest ?? '';
    // with the containerd image store the image Id IS the manifest digest; elsewhere it is the
    // config digest, which differs from what the registry holds
    const { Id } = await client.images.inspect(ref);
    if (engine.containerdStore) expect(Id).toBe(pushedDigest);
    else expect(Id).not.toBe(pushedDigest);
  });

  // No tlsVerify here: podman 4.3's compat pull ignores it, and pulls from the plain-http
  // registry only because tools/env's registries.conf marks it insecure.
  it('pulls it back after a local removal', async () => {
    expect(pushedDigest).not.toBe('');
    await client.images.remove(ref);
    expect(await client.images.find(ref)).toBeUndefined();
    const events: PullProgressEvent[] = [];
    await client.images.pull(ref, { onProgress: (e) => events.push(e) });
    const image = await client.images.inspect(ref);
    if (engine.podman) {
      // podman 4.3 reports no manifest digest while pulling, only per-blob statuses: the
      // image's config blob (its ID) came through the stream
      expect(events.some((e) => e.id === image.Id.replace(/^sha256:/, '').slice(0, 12))).toBe(true);
    } else {
      expect(events.some((e) => e.status.includes(pushedDigest))).toBe(true);
    }
    expect(image.RepoDigests).toContain(`${repo}@${pushedDigest}`);
  });

  it('a pull of a missing tag fails with a typed error carrying the daemon message', async () => {
    const err = await client.images
      .pull(`${repo}:missing`, engine.podman ? { tlsVerify: false } : {})
      .catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(['ENGINE_NOT_FOUND', 'ENGINE_PULL_FAILED']).toContain(err.code);
    expect(err.daemonMessage).toBeTruthy();
    if (err instanceof PullError) expect(err.ref).toBe(`${repo}:missing`);
  });
});
