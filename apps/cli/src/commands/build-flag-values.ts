/**
 * The values of pack's build flags that need parsing: `--volume`, `--creation-time`,
 * `--docker-host`. Each bad value is a UsageError naming the flag and the value.
 */
import type { BuildVolume } from '@imgext/build';
import { UsageError } from '../errors.js';

/**
 * `--volume <host path or volume>:<target>[:ro|rw]`, as pack: read-only unless `rw`; the target
 * absolute. pack's `volume-opt=` options are not supported.
 */
export function parseVolume(spec: string): BuildVolume {
  const parts = spec.split(':');
  const bad = (why: string): never => {
    throw new UsageError(
      `--volume ${JSON.stringify(spec)}: ${why} (give <host path>:<target path>[:ro|rw])`,
    );
  };
  if (parts.length < 2 || parts.length > 3) bad('wrong number of parts');
  const [source = '', target = '', mode = 'ro'] = parts;
  if (source === '') bad('no host path or volume name');
  if (!target.startsWith('/')) bad('the target path must be absolute');
  if (mode !== 'ro' && mode !== 'rw') bad(`invalid mode "${mode}"`);
  return { source, target, readOnly: mode === 'ro' };
}

/** `--creation-time now` or seconds since the epoch (pack's), as epoch seconds. */
export function parseCreationTime(value: string, now: () => number = Date.now): number {
  if (value === 'now') return Math.floor(now() / 1000);
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `--creation-time ${JSON.stringify(value)}: give "now" or seconds since the epoch`,
    );
  }
  return Number(value);
}

/**
 * pack's `--docker-host`: the daemon address handed to the phases that get the daemon. `inherit`
 * takes DOCKER_HOST; a unix socket path is bind-mounted. A tcp:// address is refused: imgext
 * mounts the socket and sets no DOCKER_HOST in the phases.
 */
export function dockerHostSocket(
  value: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  if (value === undefined || value === '') return undefined;
  const address = value === 'inherit' ? env.DOCKER_HOST : value;
  if (!address) {
    throw new UsageError('--docker-host inherit: DOCKER_HOST is not set');
  }
  if (/^[a-z]+:\/\//.test(address) && !address.startsWith('unix://')) {
    throw new UsageError(
      `--docker-host ${value === 'inherit' ? `inherit (DOCKER_HOST=${address})` : address}: imgext hands the phases a unix socket; give its path on the daemon's host`,
    );
  }
  return address.replace(/^unix:\/\//, '');
}
