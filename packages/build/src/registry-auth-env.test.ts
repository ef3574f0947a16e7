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
import { lifecycleRegistryKey, registryAuthEnv } from './registry-auth-env.js';

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
    expect(lifecycleRegistryKey('127.0.0.1:5000/app@sha256:' + 'a'.repeat(64))).toBe(
      '127.0.0.1:5000',
    );
  });
});
