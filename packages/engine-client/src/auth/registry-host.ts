/** Docker Hub under its many names; credentials for it live under this config key. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * The canonical host of a config key or server address, as the docker CLI compares them:
 * scheme and path dropped, lower-cased, Docker Hub's aliases folded into 'docker.io'.
 */
export function canonicalHost(serverAddress: string): string {
  const host = serverAddress
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .split('/')[0]!
    .toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

/**
 * The registry of an image reference: the first path component when it looks like a host (has a
 * dot or a port, or is localhost), else Docker Hub. A server address with a scheme is taken as is.
 */
export function registryOf(ref: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return canonicalHost(ref);
  const slash = ref.indexOf('/');
  if (slash === -1) return 'docker.io';
  const first = ref.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  return isHost ? canonicalHost(first) : 'docker.io';
}

/** The server address credential helpers and the daemon expect for a canonical host. */
export function serverAddressOf(host: string): string {
  return host === 'docker.io' ? DOCKER_HUB_KEY : host;
}
