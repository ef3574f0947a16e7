/**
 * Which socket the daemon-access phases get. The phases run on the daemon's host, so what they
 * need is the daemon's socket path *as the daemon sees it*, bind-mounted at /var/run/docker.sock.
 *
 * - unix:// endpoint: the daemon is local and the client's socket path is the daemon's own.
 * - tcp:// or ssh:// endpoint: the client's view means nothing on the daemon's host (a TLS port
 *   or an ssh tunnel cannot be bind-mounted); the daemon's default socket, /var/run/docker.sock,
 *   is used unless `override` names the socket the remote daemon really listens on.
 */
import type { ResolvedEndpoint } from '@imgext/engine-client';
import { LifecycleError } from './errors.js';

export const DEFAULT_DAEMON_SOCKET = '/var/run/docker.sock';

export function daemonSocketFor(
  endpoint: Pick<ResolvedEndpoint, 'transport' | 'host'>,
  override?: string,
): string {
  if (override) {
    const path = override.replace(/^unix:\/\//, '');
    if (!path.startsWith('/')) {
      throw new LifecycleError(
        'ERR_DAEMON_SOCKET',
        `the daemon socket must be an absolute path on the daemon's host, got "${override}"`,
      );
    }
    return path;
  }
  if (endpoint.transport === 'unix') return endpoint.host.replace(/^unix:\/\//, '');
  return DEFAULT_DAEMON_SOCKET;
}
