/**
 * A real OpenSSH server for the ssh:// transport tests (`ssh ... docker system dial-stdio`), and
 * the ssh client processes a test left behind.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { portOpen, waitUntil } from './wait.js';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  port: number;
  /** ssh client arguments that log in with the test's key and trust nothing else. */
  clientArgs: string[];
  /** Client arguments with a key the server does not know. */
  wrongKeyArgs: string[];
  close(): Promise<void>;
}

/**
 * ssh client processes still running with `dir` (a test's key folder) in their arguments: `ssh`
 * by any path, or a shell running a script named `ssh` (a wrapper before its exec).
 */
export function sshProcessesUsing(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((line) => {
    const [, program, script] = line.trim().split(/\s+/);
    return line.includes(dir) && [program, script].some((a) => a && basename(a) === 'ssh');
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path], { stdio: 'ignore' });
}

/**
 * A real OpenSSH server on 127.0.0.1 (foreground, logging to stderr) that lets the current user
 * in with a key made here; the session gets `DOCKER_HOST` (and PATH) through authorized_keys, so
 * the remote `docker system dial-stdio` reaches the private daemon.
 */
export async function startSshd(dir: string, dockerHost: string): Promise<TestSshd> {
  mkdirSync(dir, { recursive: true });
  // sshd refuses to start without its privilege separation folder (the Debian package makes it).
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  keygen(join(dir, 'wrong_key'));
  const pub = readFileSync(join(dir, 'client_key.pub'), 'utf8').trim();
  // SHLVL=1 keeps the remote bash from sourcing the user's ~/.bashrc (bash does that for a shell
  // started by sshd at level 1): a machine's dotfiles must not decide whether the tests pass. A
  // pyenv init there waits up to a minute on a rehash lock that a killed session left behind.
  const environment = ['SHLVL=1', `DOCKER_HOST=${dockerHost}`, `PATH=${process.env.PATH}`]
    .map((v) => `environment="${v}"`)
    .join(',');
  writeFileSync(join(dir, 'authorized_keys'), `${environment} ${pub}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'PermitUserEnvironment yes',
      'UsePAM no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    SSHD,
    ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  await waitForPort(port, child, () => log);
  const common = [
    '-F',
    '/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
  ];
  return {
    port,
    clientArgs: [...common, '-i', join(dir, 'client_key')],
    wrongKeyArgs: [...common, '-i', join(dir, 'wrong_key')],
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const listening = async () => {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log()}`);
    return portOpen(port);
  };
  await waitUntil(listening, { timeoutMs: 5000, what: `sshd on ${port}` }).catch((err: Error) => {
    throw err.message.startsWith('timed out')
      ? new Error(`sshd did not listen on ${port}: ${log()}`)
      : err;
  });
}
