/**
 * CNB_REGISTRY_AUTH as the lifecycle's keychain reads it, from a real docker config through the
 * real EngineClient: Docker Hub under `index.docker.io`, identity tokens kept, the run image's
 * registry included.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleRegistryKey, publishAuthRefs, registryAuthEnv } from './registry-auth-env.js';

let dir: string;
let client: EngineClient;

const basic = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgext-auth-env-'));
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: basic('hub-user', 'hub-pass') },
        'run.example.test': { auth: basic('run-user', 'run-pass') },
        'oauth.example.test': { identitytoken: 'id-token' },
        'tag.example.test': { auth: basic('tag-user', 'tag-pass') },
        'cache.example.test': { auth: basic('cache-user', 'cache-pass') },
        'previous.example.test': { auth: basic('prev-user', 'prev-pass') },
      },
    }),
  );
  client = await EngineClient.connect({ env: { ...process.env, DOCKER_CONFIG: dir } });
});

afterAll(async () => {
  await client?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function parsed(env: Record<string, string>): Record<string, string> {
  return JSON.parse(env.CNB_REGISTRY_AUTH ?? '{}') as Record<string, string>;
}

describe('registryAuthEnv', () => {
  it('keys Docker Hub as the lifecycle looks it up (index.docker.io)', async () => {
    const auth = parsed(await registryAuthEnv(client, ['someone/app:1']));
    expect(auth).toEqual({ 'index.docker.io': `Basic ${basic('hub-user', 'hub-pass')}` });
  });

  it("includes the run image's registry beside the app's", async () => {
    const auth = parsed(
      await registryAuthEnv(client, ['someone/app', 'run.example.test/stack/run:1', undefined]),
    );
    expect(Object.keys(auth).sort()).toEqual(['index.docker.io', 'run.example.test']);
    expect(auth['run.example.test']).toBe(`Basic ${basic('run-user', 'run-pass')}`);
  });

  it('passes an identity token as X-Identity instead of dropping it', async () => {
    const auth = parsed(await registryAuthEnv(client, ['oauth.example.test/app']));
    expect(auth).toEqual({ 'oauth.example.test': 'X-Identity id-token' });
  });

  it('sets nothing when no registry has credentials', async () => {
    expect(await registryAuthEnv(client, ['127.0.0.1:1/none/app'])).toEqual({});
  });

  it('names registries as references do', () => {
    expect(lifecycleRegistryKey('ubuntu')).toBe('index.docker.io');
    expect(lifecycleRegistryKey('docker.io/library/ubuntu:22.04')).toBe('index.docker.io');
    expect(lifecycleRegistryKey(`127.0.0.1:5000/app@sha256:${'a'.repeat(64)}`)).toBe(
      '127.0.0.1:5000',
    );
  });

  it("a publishing build's refs, as pack: image, tags, run image, cache image, previous image", () => {
    expect(
      publishAuthRefs(
        {
          image: 'someone/app',
          tags: ['tag.example.test/app:1', 'tag.example.test/app:2'],
          cacheImage: 'cache.example.test/app-cache',
          previousImage: 'previous.example.test/app:0',
        },
        'run.example.test/stack/run:1',
      ),
    ).toEqual([
      'someone/app',
      'tag.example.test/app:1',
      'tag.example.test/app:2',
      'run.example.test/stack/run:1',
      'cache.example.test/app-cache',
      'previous.example.test/app:0',
    ]);
    expect(publishAuthRefs({ image: 'someone/app' }, undefined)).toEqual(['someone/app']);
    // After detect: the run image an extension switched to, beside the one the build began with.
    expect(
      publishAuthRefs({ image: 'someone/app' }, 'run.example.test/run:1', 'alt.example.test/run:2'),
    ).toEqual(['someone/app', 'run.example.test/run:1', 'alt.example.test/run:2']);
  });

  it('gives the lifecycle credentials for every registry a publishing build reads or writes', async () => {
    const refs = publishAuthRefs(
      {
        image: 'someone/app',
        tags: ['tag.example.test/app:1'],
        cacheImage: 'cache.example.test/app-cache',
        previousImage: 'previous.example.test/app:0',
      },
      'run.example.test/stack/run:1',
    );
    const auth = parsed(await registryAuthEnv(client, refs));
    expect(auth).toEqual({
      'index.docker.io': `Basic ${basic('hub-user', 'hub-pass')}`,
      'tag.example.test': `Basic ${basic('tag-user', 'tag-pass')}`,
      'run.example.test': `Basic ${basic('run-user', 'run-pass')}`,
      'cache.example.test': `Basic ${basic('cache-user', 'cache-pass')}`,
      'previous.example.test': `Basic ${basic('prev-user', 'prev-pass')}`,
    });
  });
});
