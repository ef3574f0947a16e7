/**
 * The private daemon reached as a remote one: a TLS endpoint on 127.0.0.1 (certificates made
 * here with openssl) in front of its unix socket, like `dockerd --tlsverify -H tcp://...`, and the
 * DOCKER_* environment a client of it uses. `cut()` drops every connection and stops listening:
 * the daemon "goes away" for the client.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { createServer } from 'node:tls';

export interface TlsDaemon {
  /** DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH for the client. */
  env: Record<string, string>;
  cut(): Promise<void>;
  close(): Promise<void>;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as ca/cert/key.pem + server files. */
function makeCerts(dir: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=imgext-test-ca',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  );
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', '/CN=127.0.0.1'],
    ['client', '/CN=imgext-test-client'],
  ] as const) {
    const key = name === 'client' ? 'key.pem' : 'server-key.pem';
    const cert = name === 'client' ? 'cert.pem' : 'server-cert.pem';
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      key,
      '-out',
      `${name}.csr`,
    );
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      cert,
    );
  }
}

export async function startTlsDaemon(socketPath: string): Promise<TlsDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'imgext-tls-daemon-'));
  makeCerts(dir);
  const open = new Set<Socket>();
  const server = createServer(
    {
      cert: readFileSync(join(dir, 'server-cert.pem')),
      key: readFileSync(join(dir, 'server-key.pem')),
      ca: readFileSync(join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (tls) => {
      const upstream = connect(socketPath);
      open.add(tls).add(upstream);
      pipeline(tls, upstream, tls, () => {
        tls.destroy();
        upstream.destroy();
        open.delete(tls);
        open.delete(upstream);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the TLS endpoint has no port');
  let listening = true;
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
    });
  return {
    env: {
      DOCKER_HOST: `tcp://127.0.0.1:${address.port}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: dir,
    },
    cut,
    close: async () => {
      await cut();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
