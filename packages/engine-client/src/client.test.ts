import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEngines } from '@imgext/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { compareApiVersions, MAX_API_VERSION, MIN_API_VERSION } from './api-version.js';
import { EngineClient } from './client.js';
import { AbortedError, ApiVersionTooOldError, ConnectionError, NotFoundError } from './errors.js';

describe.each(testEngines())('system on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  afterAll(() => client.close());

  it('negotiates a version between the floor and the client maximum, and uses versioned paths', async () => {
    const version = await client.apiVersion();
    expect(compareApiVersions(version, MIN_API_VERSION)).toBeGreaterThanOrEqual(0);
    expect(compareApiVersions(version, MAX_API_VERSION)).toBeLessThanOrEqual(0);
    const ping = await client.ping();
    expect(ping.apiVersion).toMatch(/^\d+\.\d+$/);
    expect(client.endpoint).toMatchObject({
      transport: 'unix',
      host: engine.host,
      source: 'option',
    });
  });

  it('reads version and info', async () => {
    const [version, info] = await Promise.all([client.version(), client.info()]);
    expect(version.ApiVersion).toMatch(/^\d+\.\d+$/);
    expect(version.Os).toBe('linux');
    expect(typeof info.Driver).toBe('string');
  });

  it("one first caller's abort fails only that caller, not the shared negotiation", async () => {
    const fresh = new EngineClient({ host: engine.host, env: {} });
    try {
      const controller = new AbortController();
      // The aborted caller is first: under it the version negotiation starts.
      const aborted = fresh.info({ signal: controller.signal });
      const others = Promise.all([fresh.version(), fresh.info()]);
      controller.abort();
      await expect(aborted).rejects.toBeInstanceOf(AbortedError);
      const [version, info] = await others;
      expect(version.Os).toBe('linux');
      expect(typeof info.Driver).toBe('string');
    } finally {
      await fresh.close();
    }
  });

  it('honours a pinned version (option and DOCKER_API_VERSION) without negotiating', async () => {
    const pinned = new EngineClient({ host: engine.host, apiVersion: 'v1.41' });
    const fromEnv = new EngineClient({ host: engine.host, env: { DOCKER_API_VERSION: '1.41' } });
    try {
      expect(await pinned.apiVersion()).toBe('1.41');
      expect(await fromEnv.apiVersion()).toBe('1.41');
      expect((await pinned.version()).Os).toBe('linux');
    } finally {
      await Promise.all([pinned.close(), fromEnv.close()]);
    }
  });

  it('refuses a pin below the floor', async () => {
    const old = new EngineClient({ host: engine.host, apiVersion: '1.24' });
    try {
      await expect(old.ping().then(() => old.version())).rejects.toBeInstanceOf(
        ApiVersionTooOldError,
      );
      await expect(old.version()).rejects.toMatchObject({ code: 'ENGINE_API_VERSION' });
    } finally {
      await old.close();
    }
  });

  it('maps a 404 to NotFoundError with method, path, status and the daemon message', async () => {
    const err = await client.images.inspect('imgext-test/does-not-exist:nope').catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({
      code: 'ENGINE_NOT_FOUND',
      method: 'GET',
      path: '/images/imgext-test/does-not-exist:nope/json',
      statusCode: 404,
    });
    expect(err.daemonMessage).toMatch(/does-not-exist/);
  });

  it('rejects an already aborted call with AbortedError', async () => {
    const err = await client.info({ signal: AbortSignal.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.code).toBe('ENGINE_ABORTED');
  });
});

describe('connection failures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imgext-ec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing socket is a ConnectionError with a hint', async () => {
    const client = new EngineClient({ host: `unix://${join(dir, 'missing.sock')}` });
    try {
      const err = await client.ping().catch((e) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).toMatchObject({ code: 'ENGINE_CONNECTION', syscallCode: 'ENOENT' });
      expect(err.hint).toMatch(/socket does not exist/);
      // the hint is not repeated inside the message (a renderer prints both)
      expect(err.message).not.toContain(err.hint);
      expect(err.message).toContain('missing.sock');
    } finally {
      await client.close();
    }
  });

  it('a path nobody listens on is a ConnectionError saying the connection was refused', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, '');
    const client = new EngineClient({ host: `unix://${path}` });
    try {
      const err = await client.info().catch((e) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err.syscallCode).toBe('ECONNREFUSED');
      expect(err.hint).toMatch(/refused/);
    } finally {
      await client.close();
    }
  });
});
