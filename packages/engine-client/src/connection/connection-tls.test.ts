import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCerts, startTlsProxy, type TestCerts, type TlsProxy } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerConfigDir } from '../../test/connection/docker-config-dir.js';
import {
  daemonSocketPath,
  engineRequest,
  errorCodes,
} from '../../test/connection/engine-request.js';
import type { EngineClientOptions } from '../api.js';
import { resolveConnection } from './index.js';

/** Pings through a fresh connection and always closes it. */
async function ping(opts: EngineClientOptions): Promise<{ origin: string; text: string }> {
  const conn = await resolveConnection(opts);
  try {
    const res = await engineRequest(conn, 'GET', '/_ping');
    return { origin: conn.origin, text: res.text };
  } finally {
    await conn.close();
  }
}

describe('tcp+TLS connection through a TLS-terminating proxy in front of the real daemon', () => {
  let dir: string;
  let certs: TestCerts;
  let proxy: TlsProxy;
  let config: DockerConfigDir;
  let host: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imgext-tls-'));
    certs = makeCerts(dir);
    proxy = await startTlsProxy(certs, daemonSocketPath());
    host = `tcp://127.0.0.1:${proxy.port}`;
    config = new DockerConfigDir();
  });
  afterAll(async () => {
    await proxy?.close();
    config?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const clientFiles = (ca: Buffer) => ({
    'ca.pem': ca,
    'cert.pem': certs.client.cert,
    'key.pem': certs.client.key,
  });

  it('verifies the daemon with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', async () => {
    const certPath = config.certDir('good', clientFiles(certs.ca.cert));
    const env = { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath };
    const conn = await resolveConnection({ env });
    try {
      expect(conn.endpoint).toEqual({ transport: 'tcp', host, tls: true, source: 'DOCKER_HOST' });
      expect(conn.origin).toBe(`https://127.0.0.1:${proxy.port}`);
      expect((await engineRequest(conn, 'GET', '/_ping')).text).toBe('OK');
    } finally {
      await conn.close();
    }
  });

  it('refuses a daemon whose certificate the CA did not sign', async () => {
    const certPath = config.certDir('wrong-ca', clientFiles(certs.otherCa.cert));
    const env = { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath };
    const err = await ping({ env }).catch((e: unknown) => e);
    expect(errorCodes(err).join(' ')).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/);
  });

  it('connects without verification when DOCKER_TLS_VERIFY is unset', async () => {
    const certPath = config.certDir('no-verify', clientFiles(certs.otherCa.cert));
    const env = { DOCKER_HOST: host, DOCKER_CERT_PATH: certPath };
    expect(await ping({ env })).toEqual({ origin: `https://127.0.0.1:${proxy.port}`, text: 'OK' });
  });

  it('is refused by a daemon that wants a client certificate when none is given', async () => {
    const opts = { host, tls: { ca: certs.ca.cert }, env: {} };
    const err = await ping(opts).catch((e: unknown) => e);
    // TLS 1.3 checks the client certificate after the handshake: the proxy hangs up.
    expect(errorCodes(err).join(' ')).toMatch(/UND_ERR_SOCKET|ECONNRESET|SSL|CERT/);
  });

  it('takes PEM contents from explicit options', async () => {
    const tls = { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key };
    expect((await ping({ host, tls, env: {} })).text).toBe('OK');
  });

  it('reads the TLS material of a docker context', async () => {
    config.addContext('tls-proxy', { Host: host }, clientFiles(certs.ca.cert));
    const conn = await resolveConnection({
      env: { DOCKER_CONTEXT: 'tls-proxy' },
      configDir: config.path,
    });
    try {
      expect(conn.endpoint).toMatchObject({ tls: true, source: 'DOCKER_CONTEXT' });
      expect((await engineRequest(conn, 'GET', '/_ping')).text).toBe('OK');
    } finally {
      await conn.close();
    }
  });
});
