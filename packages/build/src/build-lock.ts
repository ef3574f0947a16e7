/**
 * One build at a time per image: its caches (the build and launch cache volumes, a cache image)
 * are written by the restorer and exporter with no locking of their own, so two concurrent
 * builds of the same image would write them at once. The lock lives in the daemon, beside the
 * caches: a container named after the caches, created (never started) by the build that holds
 * it and removed when that build is over. A container name is taken atomically by every engine,
 * so the lock holds between clients on different machines sharing one daemon, which a lock file
 * on the client could not do.
 *
 * A lock whose holder died without removing it (SIGKILL, a crash) is recognised by its labels
 * when the holder ran on this host: its pid no longer runs (or runs a process started after the
 * lock), and the next build removes it. A holder on another host cannot be checked from here;
 * its build waits, and the event names the lock so that a person can remove it.
 */
import { hostname } from 'node:os';
import { ConflictError, type EngineClientApi, NotFoundError } from '@imgext/engine-client';
import { cacheHash } from './cache-volumes.js';

export const LOCK_LABEL = 'io.imgext.lock';
const HOST_LABEL = 'io.imgext.lock.host';
const PID_LABEL = 'io.imgext.lock.pid';

/** How often a waiting build looks at the lock again. */
const POLL_MS = 500;

/** The lock container's name for builds of `image` (one per normalised reference). */
export function buildLockName(image: string): string {
  return `imgext-lock-${cacheHash(image)}`;
}

/** Who holds a lock, from its labels. */
export interface LockHolder {
  /** The lock container's name (remove it if no build of the image is running). */
  lock: string;
  host: string | undefined;
  pid: number | undefined;
  /** When the holder took it (the container's creation time). */
  since: string | undefined;
}

export interface BuildLock {
  readonly name: string;
  /** Removes the lock; idempotent. Rejects if the daemon could not remove it. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** The image being built (the lock is per normalised reference, like the caches). */
  image: string;
  /** An image the daemon has, for the lock container (it is never started). */
  lockImage: string;
  signal?: AbortSignal;
  /** Told once, when the lock is held by another build and this one starts waiting. */
  onWait?: (holder: LockHolder) => void;
  /** Told when a lock left by a holder that no longer runs was removed. */
  onStale?: (holder: LockHolder) => void;
}

/**
 * Takes the lock on `image`'s caches, waiting while another build holds it. Aborting while it
 * waits leaves nothing behind; a lock created as the abort came is removed before rejecting.
 */
export async function acquireBuildLock(
  client: EngineClientApi,
  opts: AcquireOptions,
): Promise<BuildLock> {
  const name = buildLockName(opts.image);
  let told = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    const id = await tryCreate(client, name, opts);
    if (id) {
      const lock = lockOf(client, name, id);
      if (opts.signal?.aborted) {
        await lock.release();
        opts.signal.throwIfAborted();
      }
      return lock;
    }
    const held = await holderOf(client, name, opts.signal);
    if (!held) continue; // released between the create and the look
    if (isStale(held.holder)) {
      await client.containers.remove(held.id, { force: true }).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
      opts.onStale?.(held.holder);
      continue;
    }
    if (!told) {
      told = true;
      opts.onWait?.(held.holder);
    }
    await sleep(POLL_MS, opts.signal);
  }
}

/** Creates the lock container: its ID, or undefined when the name is taken. */
async function tryCreate(
  client: EngineClientApi,
  name: string,
  opts: AcquireOptions,
): Promise<string | undefined> {
  try {
    // Without the caller's signal: an abort mid-request could leave a lock nobody knows of.
    const { Id } = await client.containers.create(
      {
        Image: opts.lockImage,
        Entrypoint: [],
        Cmd: ['imgext-build-lock'],
        Labels: {
          [LOCK_LABEL]: opts.image,
          'io.imgext.build': opts.image,
          [HOST_LABEL]: hostname(),
          [PID_LABEL]: String(process.pid),
        },
        HostConfig: { NetworkMode: 'none' },
      },
      { name },
    );
    return Id;
  } catch (err) {
    // Docker answers 409 for a name in use, podman 500 "already in use"; the holder may have
    // released it since: the caller looks again.
    if (err instanceof ConflictError || /already in use/.test(String((err as Error).message)))
      return undefined;
    if (await exists(client, name)) return undefined;
    throw err;
  }
}

function lockOf(client: EngineClientApi, name: string, id: string): BuildLock {
  let released: Promise<void> | undefined;
  return {
    name,
    release: () => {
      released ??= client.containers.remove(id, { force: true }).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
      return released;
    },
  };
}

async function holderOf(
  client: EngineClientApi,
  name: string,
  signal: AbortSignal | undefined,
): Promise<{ id: string; holder: LockHolder } | undefined> {
  try {
    const info = await client.containers.inspect(name, signal ? { signal } : {});
    const labels = info.Config?.Labels ?? {};
    const pid = Number(labels[PID_LABEL]);
    return {
      id: info.Id,
      holder: {
        lock: name,
        host: labels[HOST_LABEL],
        pid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
        since: info.Created,
      },
    };
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

async function exists(client: EngineClientApi, name: string): Promise<boolean> {
  return client.containers.inspect(name).then(
    () => true,
    () => false,
  );
}

/** A holder on this host whose process is gone. One on another host is never taken as stale. */
function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname() || holder.pid === undefined) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
