/**
 * `imgext build` against the private daemon reached over ssh:// through a real OpenSSH server on
 * 127.0.0.1: the CLI runs `ssh ... docker system dial-stdio` per connection, as the docker CLI
 * does. The CLI has no ssh flags (a user's ~/.ssh/config gives them), so the CLI's PATH starts
 * with a wrapper `ssh` that adds the test's key and options. The daemon-access phases get the
 * daemon's own socket (IMGEXT_DAEMON_SOCKET), as for any remote daemon.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { SSHD, sshProcessesUsing, startSshd, type TestSshd } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildArgv,
  leftovers,
  Made,
  removeSessionsOf,
  runCli,
  runImage,
  sampleApp,
} from './build-harness.js';

const REAL_SSH = '/usr/bin/ssh';

/** A POSIX shell word: `'...'` with every `'` closed, escaped and reopened. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `<dir>/bin/ssh`: execs the real ssh with `args` before the caller's, as ~/.ssh/config would. */
function sshWrapper(dir: string, args: string[]): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const script = `#!/bin/sh\nexec ${REAL_SSH} ${args.map(shellQuote).join(' ')} "$@"\n`;
  writeFileSync(join(bin, 'ssh'), script);
  chmodSync(join(bin, 'ssh'), 0o755);
  return bin;
}

/**
 * The sshd going away at once, as a crashed or unplugged server: the listener and every session
 * it forked (with their `docker system dial-stdio`) die by SIGKILL, so nothing says goodbye; the
 * kernel closes their TCP connections and new ones are refused. The listener is stopped first so
 * that it forks no session between the process listing and the kill.
 */
function killSshdTree(sshdPid: number): void {
  process.kill(sshdPid, 'SIGSTOP');
  const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  const parents = new Map<number, number>();
  for (const line of out.trim().split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid !== undefined && ppid !== undefined) parents.set(pid, ppid);
  }
  const tree = new Set([sshdPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents)
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
  }
  for (const pid of tree) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

describe.skipIf(!existsSync(SSHD))('imgext build through an ssh:// daemon (real sshd)', () => {
  let local: EngineClient;
  let socketPath: string;
  let dir: string;
  let sshd: TestSshd | undefined;
  const made = new Made();

  beforeAll(async () => {
    local = await EngineClient.connect();
    if (local.endpoint.transport !== 'unix')
      throw new Error('these tests need DOCKER_HOST=unix://... of a private daemon');
    socketPath = local.endpoint.host.replace(/^unix:\/\//, '');
    dir = mkdtempSync(join(tmpdir(), 'imgext-cli-sshd-'));
    sshd = await startSshd(dir, local.endpoint.host);
  });

  afterAll(async () => {
    await sshd?.close();
    await made.remove(local);
    await local?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds with build and run extensions; the image runs; no ssh or session is left', async () => {
    if (!sshd) throw new Error('no sshd');
    const image = made.image('imgext-test/remote-ssh:latest');
    const app = made.dir(await sampleApp('build run'));
    const bin = sshWrapper(dir, sshd.clientArgs);
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      DOCKER_HOST: `ssh://root@127.0.0.1:${sshd.port}`,
      IMGEXT_DAEMON_SOCKET: socketPath,
    };
    // The build really goes through the wrapper's ssh: seen while the first extension applies.
    let sshDuringBuild: string[] | undefined;
    const run = await runCli(buildArgv(image, app), {
      env,
      onLine: (l) => {
        if (l.type === 'extension.start' && !sshDuringBuild)
          sshDuringBuild = sshProcessesUsing(dir);
      },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(sshDuringBuild?.length).toBeGreaterThan(0);
    expect(sshProcessesUsing(dir)).toEqual([]);
    expect(await leftovers(local, image)).toEqual({ containers: 0, volumes: 0, image: true });
    const out = await runImage(local, image);
    expect(out).toContain('built with: build-tool 1.0');
    expect(out).toContain('run image tool: run-tool 1.0');
  });

  it('the sshd going away mid-build: a connection error, exit code 1, no hang, no ssh left', async () => {
    // An sshd and key folder of its own: the other test's sshd keeps serving, and the folder's
    // name does not contain the other one's.
    const goneDir = mkdtempSync(join(tmpdir(), 'imgext-cli-gone-sshd-'));
    const gone = await startSshd(goneDir, local.endpoint.host);
    const image = made.image('imgext-test/remote-ssh-gone:latest');
    try {
      const sshdPid = Number(readFileSync(join(goneDir, 'sshd.pid'), 'utf8').trim());
      const app = made.dir(await sampleApp('build run'));
      const bin = sshWrapper(goneDir, gone.clientArgs);
      const env = {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        DOCKER_HOST: `ssh://root@127.0.0.1:${gone.port}`,
        IMGEXT_DAEMON_SOCKET: socketPath,
      };
      // A hang fails below on the time taken, not on the test's timeout: the CLI is told to stop.
      const hung = new AbortController();
      const timer = setTimeout(() => hung.abort(), 30_000);
      let sshAtCut: string[] | undefined;
      const started = Date.now();
      const run = await runCli(buildArgv(image, app), {
        env,
        signal: hung.signal,
        onLine: (l) => {
          if (l.type !== 'extension.start' || sshAtCut) return;
          sshAtCut = sshProcessesUsing(goneDir);
          killSshdTree(sshdPid);
        },
      }).finally(() => clearTimeout(timer));
      expect(Date.now() - started, run.stdout + run.stderr).toBeLessThan(30_000);
      expect(sshAtCut?.length, 'the cut came while ssh connections were open').toBeGreaterThan(0);
      expect(run.code, run.stdout + run.stderr).toBe(1);
      const error = run.lines.find((l) => l.type === 'error');
      expect(String(error?.code), JSON.stringify(error)).toMatch(/^ENGINE_/);
      expect(sshProcessesUsing(goneDir)).toEqual([]);
      expect(await local.images.find(image)).toBeUndefined();
    } finally {
      // The CLI could not clean up a daemon it cannot reach: remove what its session left
      // (only this build's: other tests build on the same engine meanwhile).
      await removeSessionsOf(local, image);
      await gone.close();
      rmSync(goneDir, { recursive: true, force: true });
    }
  });
});
