/**
 * Which credential helpers a build runs, against the real daemon with a real DOCKER_CONFIG and
 * helper scripts on PATH: a missing helper never fails a build that involves no registry, and a
 * build that names its registries runs only theirs.
 */
import { join } from 'node:path';
import { BUILD_IMAGE, removeImagesOf, testEngines, unique } from '@imgext/test-support';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { writeCredentialHelper } from '../test/auth/credential-helper-script.js';
import { DockerConfigDir } from '../test/connection/docker-config-dir.js';
import { tarStream } from '../test/tar.js';
import type { BuildProgressEvent } from './api.js';
import { EngineClient } from './client.js';

const engine = testEngines()[0]!;
const repo = `imgext-test/${unique('build-creds')}`;
let dirs: DockerConfigDir[] = [];
const clients: EngineClient[] = [];

afterEach(() => {
  for (const dir of dirs) dir.remove();
  dirs = [];
});
afterAll(async () => {
  const cleaner = new EngineClient({ host: engine.host });
  await removeImagesOf(cleaner, repo);
  await Promise.all([cleaner.close(), ...clients.map((c) => c.close())]);
});

function clientWith(config: object) {
  const dir = new DockerConfigDir().writeConfig(config);
  dirs.push(dir);
  const bin = join(dir.path, 'bin');
  const client = new EngineClient({
    host: engine.host,
    configDir: dir.path,
    env: { PATH: `${bin}:${process.env.PATH}` },
  });
  clients.push(client);
  return { client, bin };
}

const context = () =>
  tarStream([{ name: 'Dockerfile', content: `FROM ${BUILD_IMAGE}\nLABEL creds=test\n` }]);

describe(`build credentials on ${engine.name}`, () => {
  it('a credsStore whose helper is not installed is skipped with a warning, not a failure', async () => {
    const { client } = clientWith({ credsStore: 'desktop' });
    const events: BuildProgressEvent[] = [];
    const result = await client.images.build(context(), {
      tags: [`${repo}:missing-helper`],
      networkMode: 'none',
      onProgress: (e) => events.push(e),
    });
    expect(result.imageId).toMatch(/^sha256:/);
    expect(events.filter((e) => e.type === 'warning')).toEqual([
      {
        type: 'warning',
        message: 'registry credentials skipped: docker-credential-desktop: not found on PATH',
      },
    ]);
  });

  it('runs only the helpers of the registries the build names', async () => {
    const { client, bin } = clientWith({
      credsStore: 'store',
      credHelpers: { 'other.example.com': 'other' },
    });
    const store = writeCredentialHelper(bin, 'store', {
      'stored.example.com': { Username: 'u', Secret: 's' },
    });
    const other = writeCredentialHelper(bin, 'other', {
      'other.example.com': { Username: 'o', Secret: 'p' },
    });
    await client.images.build(context(), {
      tags: [`${repo}:named`],
      networkMode: 'none',
      registries: [BUILD_IMAGE],
    });
    const host = BUILD_IMAGE.split('/')[0];
    expect(store.calls()).toEqual([`get ${host}`]);
    expect(other.calls()).toEqual([]);
  });

  it('without named registries, a failing helper is skipped and the others still answer', async () => {
    const { client, bin } = clientWith({
      credsStore: 'store',
      credHelpers: { 'broken.example.com': 'broken' },
    });
    const store = writeCredentialHelper(bin, 'store', {
      'stored.example.com': { Username: 'u', Secret: 's' },
    });
    writeCredentialHelper(bin, 'broken', {}, { failWith: { code: 4, output: 'secret=x' } });
    const events: BuildProgressEvent[] = [];
    await client.images.build(context(), {
      tags: [`${repo}:all`],
      networkMode: 'none',
      onProgress: (e) => events.push(e),
    });
    expect(store.calls()).toEqual(['list ', 'get stored.example.com']);
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings).toEqual([
      'registry credentials skipped: docker-credential-broken: get for broken.example.com failed with exit code 4',
    ]);
  });
});
