import type { TarStream } from '../api.js';

/**
 * A Readable body that fails before the request reads it (a file stream whose open fails while
 * credentials are still being resolved) would emit an unhandled 'error'. Listening keeps the
 * error on the stream (`errored`), and reading it later rethrows it where it is handled.
 */
export function holdStreamError(body: TarStream): void {
  const stream = body as { on?: unknown; once?: (event: string, fn: () => void) => void };
  if (typeof stream.on === 'function' && typeof stream.once === 'function') {
    stream.once('error', () => undefined);
  }
}
