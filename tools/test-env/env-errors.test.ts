/**
 * tools/env on a broken environment: each failure is one clear message and a non-zero exit,
 * never a stack trace or a hang. Each case runs tools/env in a fresh, empty cache folder.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const envScript = resolve(import.meta.dirname, '..', 'env');
const scratch = mkdtempSync(join(tmpdir(), 'imgext-env-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs tools/env in a fresh cache; `notRoot` runs it in a user namespace, where it is uid 65534. */
function runEnv(
  args: string[],
  env: Record<string, string>,
  opts: { notRoot?: boolean; cache?: string } = {},
) {
  const cache = opts.cache ?? mkdtempSync(join(scratch, 'cache-'));
  const argv = opts.notRoot
    ? ['unshare', '--user', 'bash', envScript, ...args]
    : ['bash', envScript, ...args];
  const result = spawnSync(argv[0]!, argv.slice(1), {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, IMGEXT_CACHE: cache, ...env },
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout, cache };
}

describe('tools/env on a broken environment', () => {
  it('names the process holding the registry port and how to choose another', async () => {
    const server: Server = createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      const r = runEnv(['registry', 'up'], { IMGEXT_REGISTRY_PORT: String(port) });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`imgext-env: error: port ${port} on 127.0.0.1 is taken`);
      expect(r.stderr).toContain('set IMGEXT_REGISTRY_PORT');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      server.close();
    }
  });

  it('says Go is missing when no go is on PATH', () => {
    const r = runEnv(['lifecycle'], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: Go is not installed.*install Go >= 1\.26\.6/);
  });

  it('says which Go the lifecycle needs when the one on PATH is too old', () => {
    const bin = mkdtempSync(join(scratch, 'old-go-'));
    // A stand-in for an old toolchain: answers `go env GOVERSION` as Go 1.19 does.
    writeFileSync(
      join(bin, 'go'),
      '#!/bin/sh\n[ "$1 $2" = "env GOVERSION" ] && echo go1.19.8 && exit 0\nexit 2\n',
    );
    chmodSync(join(bin, 'go'), 0o755);
    const r = runEnv(['lifecycle'], { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('needs Go >= 1.26.6');
    expect(r.stderr).toContain('is go1.19.8');
    expect(r.stderr).toContain('GOTOOLCHAIN=go1.26.6+auto');
  });

  it('shows the tail of dockerd’s log when the daemon cannot start', () => {
    // A flag dockerd does not know makes it exit at once, as a broken daemon would.
    const r = runEnv(['engine', 'up', 'docker-20.10'], {
      IMGEXT_DOCKERD_FLAGS: '--no-such-dockerd-flag',
    });
    runEnv(['engine', 'down', 'docker-20.10'], {}, { cache: r.cache });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('engine docker-20.10 exited while starting');
    expect(r.stderr).toContain('---- last lines of');
    expect(r.stderr).toMatch(/ {2}\| .*unknown flag: --no-such-dockerd-flag/);
  });

  it('says so when the engine folder cannot be made', () => {
    const cache = mkdtempSync(join(scratch, 'cache-broken-'));
    mkdirSync(join(cache, 'engines', 'docker-20.10'), { recursive: true });
    writeFileSync(
      join(cache, 'engines', 'docker-20.10', 'data'),
      'a file where the data root goes',
    );
    const r = runEnv(['engine', 'up', 'docker-20.10'], {}, { cache });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: cannot create the folders of engine docker-20.10');
  });

  it('asks for root when a package is missing and the user cannot install it', () => {
    const r = runEnv(
      ['up'],
      { IMGEXT_EXTRA_PACKAGES: 'imgext-test-missing:/nonexistent/imgext-marker' },
      { notRoot: true },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('missing Debian packages: imgext-test-missing');
    expect(r.stderr).toContain('sudo apt-get install -y imgext-test-missing');
  });

  it('rejects an unknown engine name with the list of flavours', () => {
    const r = runEnv(['engine', 'up', 'docker-99'], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "unknown engine 'docker-99'; choose one of: docker-26.1 docker-26.1-classic docker-20.10 podman",
    );
  });
});
