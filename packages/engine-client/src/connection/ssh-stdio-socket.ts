import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex } from 'node:stream';
import { ConnectionError } from '../errors.js';

/**
 * One connection to the daemon over `ssh ... docker system dial-stdio`: a Duplex over the ssh
 * process's stdin/stdout, with backpressure both ways. Destroying it ends the ssh process; ssh
 * failing (bad key, unknown host, no docker on the remote) destroys it with a ConnectionError
 * that carries ssh's own last words.
 */
export class SshStdioSocket extends Duplex {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #where: string;
  #stderr = '';

  constructor(child: ChildProcessWithoutNullStreams, where: string) {
    super({ allowHalfOpen: true });
    this.#child = child;
    this.#where = where;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4096);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    // The end of output counts only once ssh has exited: a failed login closes stdout first, and
    // its exit code is what tells "refused" apart from a clean end.
    let outputEnded = false;
    let exited = false;
    const finish = () => {
      if (outputEnded && exited && !this.destroyed) this.push(null);
    };
    child.stdout.on('end', () => {
      outputEnded = true;
      finish();
    });
    child.stdin.on('error', (err) => this.destroy(this.#failure('its stdin broke', err)));
    child.on('error', (err) => this.destroy(this.#failure('it could not be started', err)));
    child.on('exit', (code, signal) => {
      exited = true;
      if (this.destroyed) return;
      if (code !== 0 && code !== null) this.destroy(this.#failure(`it exited with code ${code}`));
      else if (signal) this.destroy(this.#failure(`it was killed by ${signal}`));
      else finish();
    });
  }

  #failure(what: string, cause?: unknown): ConnectionError {
    const said = this.#stderr
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('Warning: Permanently added'))
      .slice(-3)
      .join(' / ');
    return new ConnectionError(`ssh to ${this.#where} failed: ${what}${said ? `: ${said}` : ''}`, {
      hint: 'check that `ssh <host> docker system dial-stdio` works from this shell (keys, known_hosts, docker on the remote PATH)',
      syscallCode: (cause as NodeJS.ErrnoException | undefined)?.code,
      cause,
    });
  }

  override _read(): void {
    this.#child.stdout.resume();
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (err?: Error | null) => void,
  ): void {
    this.#child.stdin.write(chunk, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.#child.stdin.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null)
      this.#child.kill('SIGTERM');
    callback(err);
  }

  /** undici unrefs idle sockets so that a pooled connection does not keep the process alive. */
  unref(): this {
    this.#child.unref();
    for (const s of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) {
      (s as unknown as { unref?: () => void }).unref?.();
    }
    return this;
  }

  ref(): this {
    this.#child.ref();
    for (const s of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) {
      (s as unknown as { ref?: () => void }).ref?.();
    }
    return this;
  }
}
