/** API version arithmetic and the client's bounds. */

/** The oldest Engine API this client speaks (Docker 20.10, podman's compat API). */
export const MIN_API_VERSION = '1.41';
/** The newest Engine API this client knows; a newer daemon is spoken to at this version. */
export const MAX_API_VERSION = '1.47';

/** Compares 'X.Y' versions: negative, 0 or positive like a sort comparator. */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

/** Normalises '1.45', 'v1.45' or ' 1.45 ' to '1.45'; undefined for anything else. */
export function parseApiVersion(value: string | undefined | null): string | undefined {
  const match = /^\s*v?(\d+)\.(\d+)\s*$/.exec(value ?? '');
  return match ? `${Number(match[1])}.${Number(match[2])}` : undefined;
}

/** The version to speak with a daemon announcing `server`: min(server, MAX_API_VERSION). */
export function negotiatedVersion(server: string): string {
  return compareApiVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
}
