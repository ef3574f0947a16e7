import { RUN_IMAGE, testEngines, testHostConfig } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineRequest, errorCodes } from '../../test/connection/engine-request.js';
import { type Connection, resolveConnection } from './index.js';

describe.each(testEngines())('unix connection to the real $name engine', (engine) => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await resolveConnection({ env: { ...process.env, DOCKER_HOST: engine.host } });
  });
  afterAll(() => conn?.close());

  it('reaches the daemon named by DOCKER_HOST', async () => {
    expect(conn.endpoint).toEqual({
      transport: 'unix',
      host: engine.host,
      tls: false,
      source: 'DOCKER_HOST',
    });
    expect(conn.origin).toBe('http://localhost');
    expect(await engineRequest(conn, 'GET', '/_ping')).toEqual({ statusCode: 200, text: 'OK' });
    const version = JSON.parse((await engineRequest(conn, 'GET', '/version')).text);
    expect(version.ApiVersion).toMatch(/^1\.\d+$/);
  });

  it('does not queue a start behind a pending wait (pooled connections)', async () => {
    const created = await engineRequest(conn, 'POST', '/containers/create', {
      Image: RUN_IMAGE,
      Cmd: ['sh', '-c', 'exit 3'],
      HostConfig: testHostConfig(engine),
      Labels: { 'imgext-test': 'connection-unix' },
    });
    expect(created.statusCode).toBe(201);
    const id = JSON.parse(created.text).Id as string;
    // A wait that never answers must not keep the pool (and afterAll's close) busy.
    const abort = new AbortController();
    try {
      const waitPath = `/containers/${id}/wait?condition=next-exit`;
      const waiting = engineRequest(conn, 'POST', waitPath, undefined, abort.signal);
      waiting.catch(() => undefined);
      // Give the wait time to occupy its connection before start is sent.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = await engineRequest(conn, 'POST', `/containers/${id}/start`);
      expect(started.statusCode).toBe(204);
      const waited = await waiting;
      expect(waited.statusCode).toBe(200);
      expect(JSON.parse(waited.text).StatusCode).toBe(3);
    } finally {
      abort.abort();
      await engineRequest(conn, 'DELETE', `/containers/${id}?force=true`);
    }
  });

  it('runs many requests at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => engineRequest(conn, 'GET', '/_ping')),
    );
    expect(answers.every((a) => a.text === 'OK')).toBe(true);
  });

  it('fails a request to a socket that does not exist with ENOENT', async () => {
    const missing = await resolveConnection({ host: 'unix:///nonexistent/imgext.sock', env: {} });
    try {
      const err = await engineRequest(missing, 'GET', '/_ping').catch((e: unknown) => e);
      expect(errorCodes(err)).toContain('ENOENT');
    } finally {
      await missing.close();
    }
  });

  it('refuses requests after close', async () => {
    const own = await resolveConnection({ host: engine.host, env: {} });
    await engineRequest(own, 'GET', '/_ping');
    await own.close();
    const err = await engineRequest(own, 'GET', '/_ping').catch((e: unknown) => e);
    expect(errorCodes(err)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^UND_ERR_(CLOSED|DESTROYED)$/)]),
    );
  });
});
