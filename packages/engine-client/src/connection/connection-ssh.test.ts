import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSHD, sshProcessesUsing, startSshd, type TestSshd } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineRequest, errorCodes } from '../../test/connection/engine-request.js';
import { ConnectionError } from '../errors.js';
import { resolveConnection } from './index.js';

describe.skipIf(!existsSync(SSHD))('ssh connection through a real sshd on 127.0.0.1', () => {
  let dir: string;
  let sshd: TestSshd;
  let host: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imgext-sshd-'));
    sshd = await startSshd(dir, process.env.DOCKER_HOST ?? '');
    host = `ssh://root@127.0.0.1:${sshd.port}`;
  });
  afterAll(async () => {
    await sshd?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the daemon through `ssh ... docker system dial-stdio`', async () => {
    const conn = await resolveConnection({
      host,
      ssh: { args: sshd.clientArgs },
      env: process.env,
    });
    try {
      expect(conn.endpoint).toEqual({ transport: 'ssh', host, tls: false, source: 'option' });
      expect(conn.origin).toBe('http://localhost');
      expect(await engineRequest(conn, 'GET', '/_ping')).toEqual({ statusCode: 200, text: 'OK' });
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => engineRequest(conn, 'GET', '/version')),
      );
      for (const a of answers) expect(JSON.parse(a.text).ApiVersion).toMatch(/^1\.\d+$/);
      expect(sshProcessesUsing(dir).length).toBeGreaterThan(0);
    } finally {
      await conn.close();
    }
    expect(sshProcessesUsing(dir)).toEqual([]);
  });

  it('takes the ssh host from DOCKER_HOST', async () => {
    const env = { ...process.env, DOCKER_HOST: host };
    const conn = await resolveConnection({ ssh: { args: sshd.clientArgs }, env });
    try {
      expect(conn.endpoint.source).toBe('DOCKER_HOST');
      expect((await engineRequest(conn, 'GET', '/_ping')).text).toBe('OK');
    } finally {
      await conn.close();
    }
  });

  it("fails with ssh's own reason when the key is refused", async () => {
    const conn = await resolveConnection({
      host,
      ssh: { args: sshd.wrongKeyArgs },
      env: process.env,
    });
    try {
      const err = await engineRequest(conn, 'GET', '/_ping').catch((e: unknown) => e);
      const connErr = [err, (err as { cause?: unknown }).cause].find(
        (e) => e instanceof ConnectionError,
      );
      expect(connErr, `got ${String(err)} (${errorCodes(err)})`).toBeInstanceOf(ConnectionError);
      expect((connErr as ConnectionError).message).toMatch(/Permission denied/);
      expect((connErr as ConnectionError).code).toBe('ENGINE_CONNECTION');
    } finally {
      await conn.close();
    }
    expect(sshProcessesUsing(dir)).toEqual([]);
  });

  it('fails clearly when the ssh program is missing', async () => {
    const conn = await resolveConnection({
      host,
      ssh: { command: '/nonexistent/ssh' },
      env: process.env,
    });
    try {
      const err = await engineRequest(conn, 'GET', '/_ping').catch((e: unknown) => e);
      expect(errorCodes(err)).toContain('ENOENT');
      expect(String((err as Error).message)).toMatch(/ssh to .* failed: it could not be started/);
    } finally {
      await conn.close();
    }
  });
});
