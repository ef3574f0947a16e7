import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCredentialHelper } from '../../test/auth/credential-helper-script.js';
import { DockerConfigDir } from '../../test/connection/docker-config-dir.js';
import { EngineError } from '../errors.js';
import { CredentialHelperError, createAuthResolver, DOCKER_HUB_KEY } from './index.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

let dirs: DockerConfigDir[] = [];
afterEach(() => {
  for (const dir of dirs) dir.remove();
  dirs = [];
});

/** A config folder with a bin/ folder on PATH for helper scripts. */
function setup(config: object) {
  const dir = new DockerConfigDir().writeConfig(config);
  dirs.push(dir);
  const bin = join(dir.path, 'bin');
  const env = { PATH: `${bin}:${process.env.PATH}` };
  return { dir, bin, resolver: createAuthResolver({ configDir: dir.path, env }) };
}

describe('auths in config.json', () => {
  it('decodes the base64 auth, username/password and identity tokens', async () => {
    const { resolver } = setup({
      auths: {
        'registry.example.com': { auth: b64('alice:pa:ss') },
        'other.example.com': { username: 'bob', password: 'pw' },
        'token.example.com': { identitytoken: 'refresh-token' },
        'empty.example.com': {},
      },
    });
    expect(await resolver.authFor('registry.example.com/team/app:1')).toEqual({
      username: 'alice',
      password: 'pa:ss',
      serveraddress: 'registry.example.com',
    });
    expect(await resolver.authFor('other.example.com/app')).toMatchObject({
      username: 'bob',
      password: 'pw',
    });
    expect(await resolver.authFor('token.example.com/app')).toEqual({
      identitytoken: 'refresh-token',
      serveraddress: 'token.example.com',
    });
    expect(await resolver.authFor('empty.example.com/app')).toBeUndefined();
    expect(await resolver.authFor('unknown.example.com/app')).toBeUndefined();
  });

  it('finds Docker Hub credentials under index.docker.io/v1/ for every Hub reference', async () => {
    const { resolver } = setup({ auths: { [DOCKER_HUB_KEY]: { auth: b64('hub:secret') } } });
    for (const ref of [
      'busybox',
      'library/busybox:1',
      'docker.io/library/busybox',
      'index.docker.io/x/y',
      'registry-1.docker.io/x/y@sha256:00',
    ]) {
      expect(await resolver.authFor(ref), ref).toMatchObject({
        username: 'hub',
        serveraddress: DOCKER_HUB_KEY,
      });
    }
    expect(await resolver.authFor('localhost/app')).toBeUndefined();
  });

  it('matches keys written with a scheme, path or port', async () => {
    const { resolver } = setup({ auths: { 'http://localhost:5000/v2/': { auth: b64('l:p') } } });
    expect(await resolver.authFor('localhost:5000/app:tag')).toMatchObject({ username: 'l' });
    expect(await resolver.authFor('localhost/app')).toBeUndefined();
  });
});

describe('credential helpers', () => {
  it('prefers credHelpers[host] over credsStore over auths', async () => {
    const { bin, resolver } = setup({
      credHelpers: { 'special.example.com': 'special' },
      credsStore: 'store',
      auths: {
        'special.example.com': { auth: b64('file:f') },
        'plain.example.com': { auth: b64('file:f') },
      },
    });
    const special = writeCredentialHelper(bin, 'special', {
      'special.example.com': { Username: 'from-helper', Secret: 's1' },
    });
    const store = writeCredentialHelper(bin, 'store', {
      [DOCKER_HUB_KEY]: { Username: 'from-store', Secret: 's2' },
    });
    expect(await resolver.authFor('special.example.com/app')).toEqual({
      username: 'from-helper',
      password: 's1',
      serveraddress: 'special.example.com',
    });
    expect(special.calls()).toEqual(['get special.example.com']);
    expect(await resolver.authFor('busybox')).toMatchObject({
      username: 'from-store',
      password: 's2',
    });
    expect(store.calls()).toEqual([`get ${DOCKER_HUB_KEY}`]);
    // The store has nothing for this host: the file's auths answer.
    expect(await resolver.authFor('plain.example.com/app')).toMatchObject({ username: 'file' });
  });

  it("reads a '<token>' user name as an identity token", async () => {
    const { bin, resolver } = setup({ credsStore: 'tok' });
    writeCredentialHelper(bin, 'tok', { 'r.example.com': { Username: '<token>', Secret: 'idt' } });
    expect(await resolver.authFor('r.example.com/a')).toEqual({
      identitytoken: 'idt',
      serveraddress: 'r.example.com',
    });
  });

  it('refuses a missing helper with a typed error', async () => {
    const { resolver } = setup({ credsStore: 'absent' });
    const err = await resolver.authFor('busybox').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialHelperError);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as CredentialHelperError).code).toBe('ENGINE_CREDENTIAL_HELPER');
    expect((err as Error).message).toBe('docker-credential-absent: not found on PATH');
  });

  it('never quotes a failing helper’s output', async () => {
    const { bin, resolver } = setup({ credHelpers: { 'r.example.com': 'leaky' } });
    writeCredentialHelper(bin, 'leaky', {}, { failWith: { code: 3, output: 'password=hunter2' } });
    const err = await resolver.authFor('r.example.com/a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialHelperError);
    expect((err as Error).message).toContain('exit code 3');
    expect(JSON.stringify(err)).not.toContain('hunter2');
    expect(String((err as Error).message)).not.toContain('hunter2');
  });

  it('collects every credential for X-Registry-Config', async () => {
    const { bin, resolver } = setup({
      auths: { 'file.example.com': { auth: b64('f:1') } },
      credsStore: 'store',
      credHelpers: { 'helped.example.com': 'special' },
    });
    writeCredentialHelper(bin, 'store', {
      [DOCKER_HUB_KEY]: { Username: 'hub', Secret: '2' },
      'stored.example.com': { Username: 'st', Secret: '3' },
    });
    writeCredentialHelper(bin, 'special', {
      'helped.example.com': { Username: 'he', Secret: '4' },
    });
    expect(await resolver.allConfigs()).toEqual({
      'file.example.com': { username: 'f', password: '1', serveraddress: 'file.example.com' },
      [DOCKER_HUB_KEY]: { username: 'hub', password: '2', serveraddress: DOCKER_HUB_KEY },
      'stored.example.com': { username: 'st', password: '3', serveraddress: 'stored.example.com' },
      'helped.example.com': { username: 'he', password: '4', serveraddress: 'helped.example.com' },
    });
  });

  it('reads DOCKER_CONFIG from the given environment', async () => {
    const dir = new DockerConfigDir().writeConfig({
      auths: { 'e.example.com': { auth: b64('e:1') } },
    });
    dirs.push(dir);
    const resolver = createAuthResolver({ env: { DOCKER_CONFIG: dir.path } });
    expect(await resolver.authFor('e.example.com/x')).toMatchObject({ username: 'e' });
  });
});
