/** Waiting in tests: for a condition, or for a TCP port to accept connections. */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long. Default 5 s. */
  timeoutMs?: number;
  /** Between checks. Default 50 ms. */
  intervalMs?: number;
  /** For the error: what was waited for. */
  what?: string;
}

/** Resolves when `check` resolves true; a `check` that throws stops the wait with its error. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 50, what = 'a condition' }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
