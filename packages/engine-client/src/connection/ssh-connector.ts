import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';
import type { SshOptions } from '../api.js';
import type { HostTarget } from './parse-host.js';
import { SshStdioSocket } from './ssh-stdio-socket.js';

type SshTarget = Extract<HostTarget, { transport: 'ssh' }>;

/** `ssh [args] -T [-l user] [-p port] -- host docker system dial-stdio`, as the docker CLI runs it. */
export function sshArgv(target: SshTarget, ssh: SshOptions): string[] {
  const argv = [...(ssh.args ?? []), '-T'];
  if (target.user) argv.push('-l', target.user);
  if (target.port !== undefined) argv.push('-p', String(target.port));
  const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
  argv.push('--', hostname, 'docker', 'system', 'dial-stdio');
  return argv;
}

/** An undici connector spawning one ssh process per connection; tracks them for close(). */
export function createSshConnector(
  target: SshTarget,
  ssh: SshOptions,
  env: Record<string, string | undefined>,
): { connector: buildConnector.connector; children: Set<ChildProcess> } {
  const children = new Set<ChildProcess>();
  const argv = sshArgv(target, ssh);
  const connector: buildConnector.connector = (_options, callback) => {
    const child = spawn(ssh.command ?? 'ssh', argv, {
      stdio: 'pipe',
      env: env as NodeJS.ProcessEnv,
    });
    children.add(child);
    child.on('close', () => children.delete(child));
    const socket = new SshStdioSocket(child, target.host);
    // undici needs a Socket's stream surface only (read, write, cork, destroy), which a Duplex has.
    // Answer once ssh runs (asynchronously, as a real connect: undici hangs on a synchronous
    // answer); a failure to start it is the connect error. Later failures destroy the socket.
    let answered = false;
    const answer = (err: Error | null) => {
      if (answered) return;
      answered = true;
      if (err) callback(err, null);
      else callback(null, socket as unknown as Socket);
    };
    child.once('spawn', () => answer(null));
    socket.once('error', (err) => answer(err));
  };
  return { connector, children };
}
