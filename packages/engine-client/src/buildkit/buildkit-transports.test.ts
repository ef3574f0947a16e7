/**
 * The session rides the client's own connection whatever it is: tcp+TLS (a TLS-terminating proxy
 * in front of the real daemon, as `dockerd --tlsverify`) and ssh (a real sshd, `docker system
 * dial-stdio` on the far side). A context bigger than any buffer on the way goes through each.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUILD_IMAGE,
  makeCerts,
  prng,
  randomBytes,
  removeImagesOf,
  SSHD,
  startSshd,
  startTlsProxy,
  type TestSshd,
  type TlsProxy,
  unique,
} from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonSocketPath } from '../../test/connection/engine-request.js';
import type { EngineClientOptions } from '../api.js';
import { EngineClient } from '../client.js';

const repo = `imgext-test/${unique('bk-transport')}`;
let dir: string;
const big = randomBytes(prng(21), 3 * 1024 * 1024 + 7);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgext-bk-transport-'));
  writeFileSync(join(dir, 'big.bin'), big);
});
afterAll(async () => {
  const client = new EngineClient({ host: `unix://${daemonSocketPath()}` });
  await removeImagesOf(client, repo);
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

async function buildThrough(options: EngineClientOptions, tag: string): Promise<string[]> {
  const client = new EngineClient(options);
  try {
    const marker = unique('through');
    const result = await client.images.build(
      {
        dir,
        files: {
          Dockerfile: `FROM ${BUILD_IMAGE}\nCOPY big.bin /tmp/big.bin\nRUN echo "SUM $(sha256sum /tmp/big.bin | cut -d' ' -f1) ${marker}"\n`,
        },
      },
      { builder: 'buildkit', networkMode: 'none', tags: [`${repo}:${tag}`] },
    );
    expect(result.imageId).toMatch(/^sha256:/);
    return result.transcript.filter((l) => l.startsWith('SUM ')).map((l) => l.split(' ')[1]!);
  } finally {
    await client.close();
  }
}

const sum = () => createHash('sha256').update(big).digest('hex');

describe('a BuildKit session over tcp+TLS', () => {
  let proxy: TlsProxy;
  let certDir: string;
  let options: EngineClientOptions;
  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'imgext-bk-tls-'));
    const certs = makeCerts(certDir);
    proxy = await startTlsProxy(certs, daemonSocketPath());
    options = {
      host: `tcp://127.0.0.1:${proxy.port}`,
      tls: { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key },
    };
  });
  afterAll(async () => {
    await proxy?.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('builds with the context sent through the TLS connection', async () => {
    expect(await buildThrough(options, 'tls')).toEqual([sum()]);
  });
});

describe.skipIf(!existsSync(SSHD))('a BuildKit session over ssh', () => {
  let sshd: TestSshd;
  let keyDir: string;
  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'imgext-bk-sshd-'));
    sshd = await startSshd(keyDir, `unix://${daemonSocketPath()}`);
  });
  afterAll(async () => {
    await sshd?.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('builds with the context sent through `ssh ... docker system dial-stdio`', async () => {
    const options = {
      host: `ssh://root@127.0.0.1:${sshd.port}`,
      ssh: { args: sshd.clientArgs },
    };
    expect(await buildThrough(options, 'ssh')).toEqual([sum()]);
  });
});
