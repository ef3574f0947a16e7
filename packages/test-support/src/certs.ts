import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pem {
  cert: Buffer;
  key: Buffer;
}

export interface TestCerts {
  ca: Pem;
  /** Server certificate for 127.0.0.1 and localhost, signed by `ca`. */
  server: Pem;
  /** Client certificate (extendedKeyUsage clientAuth), signed by `ca`. */
  client: Pem;
  /** An unrelated CA: trusting only it must make verification fail. */
  otherCa: Pem;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `openssl req` arguments for a new P-256 key `<name>.key`, unencrypted. */
function newKey(name: string): string[] {
  return [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
  ];
}

function read(dir: string, name: string): Pem {
  return {
    cert: readFileSync(join(dir, `${name}.pem`)),
    key: readFileSync(join(dir, `${name}.key`)),
  };
}

function selfSignedCa(dir: string, name: string): Pem {
  openssl(dir, [
    'req',
    '-x509',
    ...newKey(name),
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return read(dir, name);
}

function signed(dir: string, name: string, ca: string, extensions: string): Pem {
  openssl(dir, ['req', ...newKey(name), '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
  return read(dir, name);
}

/** Makes a CA, a server and a client certificate (and an unrelated CA) with the openssl CLI. */
export function makeCerts(dir: string): TestCerts {
  mkdirSync(dir, { recursive: true });
  const ca = selfSignedCa(dir, 'ca');
  const otherCa = selfSignedCa(dir, 'other-ca');
  const server = signed(
    dir,
    'server',
    'ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  const client = signed(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n');
  return { ca, server, client, otherCa };
}
