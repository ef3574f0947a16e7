/**
 * The private daemon reached as a remote one: a TLS endpoint on 127.0.0.1 (certificates made
 * with openssl) in front of its unix socket, like `dockerd --tlsverify -H tcp://...`, and the
 * DOCKER_* environment a client of it uses. `cut()` drops every connection and stops listening:
 * the daemon "goes away" for the client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCerts, startTlsProxy } from '@imgext/test-support';

export interface TlsDaemon {
  /** DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH for the client. */
  env: Record<string, string>;
  cut(): Promise<void>;
  close(): Promise<void>;
}

export async function startTlsDaemon(socketPath: string): Promise<TlsDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'imgext-tls-daemon-'));
  const certs = makeCerts(dir);
  // DOCKER_CERT_PATH holds ca.pem (makeCerts wrote it) and the client's cert.pem / key.pem.
  writeFileSync(join(dir, 'cert.pem'), certs.client.cert);
  writeFileSync(join(dir, 'key.pem'), certs.client.key);
  const proxy = await startTlsProxy(certs, socketPath);
  return {
    env: {
      DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: dir,
    },
    cut: proxy.cut,
    close: async () => {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
