import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerConfigDir } from '../../test/connection/docker-config-dir.js';
import { EngineError } from '../errors.js';
import { EndpointConfigError } from './endpoint-config-error.js';
import { publicEndpoint, resolveEndpoint } from './resolve-endpoint.js';

let dirs: DockerConfigDir[] = [];
function configDir(): DockerConfigDir {
  const dir = new DockerConfigDir();
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs) dir.remove();
  dirs = [];
});

function configError(fn: () => unknown): EndpointConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EndpointConfigError);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EndpointConfigError).code).toBe('ENGINE_ENDPOINT_CONFIG');
    return err as EndpointConfigError;
  }
  throw new Error('expected an EndpointConfigError');
}

describe('resolveEndpoint precedence', () => {
  it('falls back to the default socket', () => {
    const dir = configDir();
    const ep = resolveEndpoint({ env: {}, configDir: dir.path });
    expect(publicEndpoint(ep)).toEqual({
      transport: 'unix',
      host: 'unix:///var/run/docker.sock',
      tls: false,
      source: 'default',
    });
  });

  it('uses the config currentContext', () => {
    const dir = configDir()
      .writeConfig({ currentContext: 'remote' })
      .addContext('remote', { Host: 'tcp://10.0.0.1:2375' });
    const ep = resolveEndpoint({ env: {}, configDir: dir.path });
    expect(ep).toMatchObject({ source: 'config', host: 'tcp://10.0.0.1:2375', context: 'remote' });
  });

  it('lets DOCKER_CONTEXT beat the config currentContext', () => {
    const dir = configDir()
      .writeConfig({ currentContext: 'remote' })
      .addContext('remote', { Host: 'tcp://10.0.0.1:2375' })
      .addContext('other', { Host: 'unix:///run/other.sock' });
    const ep = resolveEndpoint({ env: { DOCKER_CONTEXT: 'other' }, configDir: dir.path });
    expect(ep).toMatchObject({ source: 'DOCKER_CONTEXT', host: 'unix:///run/other.sock' });
  });

  it('lets DOCKER_HOST beat DOCKER_CONTEXT', () => {
    const dir = configDir().addContext('other', { Host: 'unix:///run/other.sock' });
    const env = { DOCKER_CONTEXT: 'other', DOCKER_HOST: 'unix:///run/env.sock' };
    const ep = resolveEndpoint({ env, configDir: dir.path });
    expect(ep).toMatchObject({ source: 'DOCKER_HOST', host: 'unix:///run/env.sock' });
  });

  it('lets the host option beat DOCKER_HOST', () => {
    const ep = resolveEndpoint({
      host: 'unix:///run/opt.sock',
      env: { DOCKER_HOST: 'unix:///run/env.sock' },
    });
    expect(ep).toMatchObject({ source: 'option', host: 'unix:///run/opt.sock' });
    if (ep.target.transport !== 'unix') throw new Error('unix expected');
    expect(ep.target.socketPath).toBe('/run/opt.sock');
  });

  it('lets the context option beat DOCKER_HOST', () => {
    const dir = configDir().addContext('other', { Host: 'unix:///run/other.sock' });
    const env = { DOCKER_HOST: 'unix:///run/env.sock', DOCKER_CONFIG: dir.path };
    const ep = resolveEndpoint({ context: 'other', env });
    expect(ep).toMatchObject({ source: 'option', host: 'unix:///run/other.sock' });
  });

  it('reads DOCKER_CONFIG when no configDir option is given', () => {
    const dir = configDir()
      .writeConfig({ currentContext: 'c' })
      .addContext('c', { Host: 'tcp://h' });
    const ep = resolveEndpoint({ env: { DOCKER_CONFIG: dir.path } });
    expect(ep).toMatchObject({ source: 'config', host: 'tcp://h:2375' });
  });

  it('treats the context named default as the default socket', () => {
    const dir = configDir().writeConfig({ currentContext: 'default' });
    const ep = resolveEndpoint({ env: {}, configDir: dir.path });
    expect(ep).toMatchObject({ source: 'config', host: 'unix:///var/run/docker.sock' });
  });

  it('refuses the host and context options together', () => {
    const err = configError(() => resolveEndpoint({ host: 'unix:///a', context: 'b', env: {} }));
    expect(err.message).toMatch(/not both/);
  });

  it('names an unknown context and where it looked', () => {
    const dir = configDir();
    const err = configError(() =>
      resolveEndpoint({ env: { DOCKER_CONTEXT: 'nope' }, configDir: dir.path }),
    );
    expect(err.message).toContain('docker context "nope" not found');
    expect(err.message).toContain(dir.path);
  });

  it('refuses a config.json that is not JSON without quoting it', () => {
    const dir = configDir();
    writeFileSync(join(dir.path, 'config.json'), '{"auths": {"x": {"auth": "c2VjcmV0"}} oops');
    const err = configError(() => resolveEndpoint({ env: {}, configDir: dir.path }));
    expect(err.message).toMatch(/not valid JSON/);
    expect(err.message).not.toContain('c2VjcmV0');
  });
});

describe('resolveEndpoint hosts', () => {
  const resolve = (host: string, env: Record<string, string> = {}) =>
    resolveEndpoint({ host, env });

  it('reads tcp hosts, with and without scheme, with default ports', () => {
    expect(resolve('tcp://127.0.0.1:1234')).toMatchObject({
      transport: 'tcp',
      host: 'tcp://127.0.0.1:1234',
    });
    expect(resolve('example.com')).toMatchObject({
      transport: 'tcp',
      host: 'tcp://example.com:2375',
      tls: false,
    });
    expect(resolve('tcp://[::1]')).toMatchObject({ host: 'tcp://[::1]:2375' });
  });

  it('reads ssh hosts with user and port', () => {
    const ep = resolve('ssh://me@box:2222');
    expect(ep).toMatchObject({ transport: 'ssh', host: 'ssh://me@box:2222', tls: false });
    expect(ep.target).toMatchObject({ hostname: 'box', user: 'me', port: 2222 });
  });

  it('refuses malformed hosts clearly', () => {
    expect(configError(() => resolve('/var/run/docker.sock')).message).toContain(
      'unix:///var/run/docker.sock',
    );
    expect(configError(() => resolve('unix://')).message).toMatch(/socket path/);
    expect(configError(() => resolve('npipe:////./pipe/docker_engine')).message).toMatch(
      /not supported/,
    );
    expect(configError(() => resolve('http://host')).message).toMatch(/unsupported host scheme/);
    expect(configError(() => resolve('tcp://host:0')).message).toMatch(/invalid port/);
    expect(configError(() => resolve('tcp://host/path')).message).toMatch(/path/);
    expect(configError(() => resolve('  ')).message).toMatch(/empty/);
  });

  it('never echoes an ssh password', () => {
    const err = configError(() => resolve('ssh://me:hunter2@box'));
    expect(err.message).toMatch(/password/);
    expect(err.message).not.toContain('hunter2');
    expect(configError(() => resolve('tcp://me:hunter2@box/x')).message).not.toContain('hunter2');
  });
});

describe('resolveEndpoint TLS', () => {
  const pem = (what: string) => `-----BEGIN ${what}-----\n-----END ${what}-----\n`;

  it('turns TLS on with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, port 2376', () => {
    const dir = configDir();
    const certs = dir.certDir('certs', {
      'ca.pem': pem('CA'),
      'cert.pem': pem('C'),
      'key.pem': pem('K'),
    });
    const ep = resolveEndpoint({
      env: { DOCKER_HOST: 'tcp://127.0.0.1', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs },
    });
    expect(ep).toMatchObject({ tls: true, host: 'tcp://127.0.0.1:2376' });
    expect(ep.tlsOptions?.verify).toBe(true);
    expect(String(ep.tlsOptions?.ca)).toBe(pem('CA'));
    expect(String(ep.tlsOptions?.key)).toBe(pem('K'));
    expect(JSON.stringify(publicEndpoint(ep))).not.toContain('BEGIN');
  });

  it('uses TLS without verification when only DOCKER_CERT_PATH is set', () => {
    const dir = configDir();
    const certs = dir.certDir('certs', { 'cert.pem': pem('C'), 'key.pem': pem('K') });
    const ep = resolveEndpoint({ env: { DOCKER_HOST: 'tcp://h', DOCKER_CERT_PATH: certs } });
    expect(ep).toMatchObject({ tls: true, host: 'tcp://h:2376' });
    expect(ep.tlsOptions?.verify).toBe(false);
  });

  it('ignores TLS variables for unix sockets', () => {
    const ep = resolveEndpoint({ env: { DOCKER_HOST: 'unix:///x.sock', DOCKER_TLS_VERIFY: '1' } });
    expect(ep.tls).toBe(false);
  });

  it('refuses missing cert files, naming the file', () => {
    const dir = configDir();
    const noCa = dir.certDir('no-ca', { 'cert.pem': pem('C'), 'key.pem': pem('K') });
    const env = { DOCKER_HOST: 'tcp://h', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: noCa };
    expect(configError(() => resolveEndpoint({ env })).message).toContain(
      `${noCa}/ca.pem is missing`,
    );
    const noKey = dir.certDir('no-key', { 'ca.pem': pem('CA'), 'cert.pem': pem('C') });
    const env2 = { ...env, DOCKER_CERT_PATH: noKey };
    expect(configError(() => resolveEndpoint({ env: env2 })).message).toContain(
      `${noKey}/key.pem is missing`,
    );
    const env3 = { ...env, DOCKER_CERT_PATH: `${dir.path}/absent` };
    expect(configError(() => resolveEndpoint({ env: env3 })).message).toMatch(/is not a folder/);
  });

  it('reads a context TLS folder and SkipTLSVerify', () => {
    const dir = configDir()
      .addContext(
        'secure',
        { Host: 'tcp://h:2376' },
        { 'ca.pem': pem('CA'), 'cert.pem': pem('C'), 'key.pem': pem('K') },
      )
      .addContext('insecure', { Host: 'tcp://h:2376', SkipTLSVerify: true })
      .addContext('plain', { Host: 'tcp://h' });
    const secure = resolveEndpoint({ context: 'secure', env: {}, configDir: dir.path });
    expect(secure.tls).toBe(true);
    expect(secure.tlsOptions?.verify).toBe(true);
    expect(String(secure.tlsOptions?.cert)).toBe(pem('C'));
    const insecure = resolveEndpoint({ context: 'insecure', env: {}, configDir: dir.path });
    expect(insecure.tls).toBe(true);
    expect(insecure.tlsOptions?.verify).toBe(false);
    const plain = resolveEndpoint({
      context: 'plain',
      env: { DOCKER_TLS_VERIFY: '1' },
      configDir: dir.path,
    });
    expect(plain).toMatchObject({ tls: false, host: 'tcp://h:2375' });
  });

  it('takes explicit TLS options over the environment', () => {
    const ep = resolveEndpoint({
      host: 'tcp://h:1',
      tls: { ca: pem('X'), verify: false },
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' },
    });
    expect(ep.tlsOptions).toEqual({ ca: pem('X'), verify: false });
  });
});
