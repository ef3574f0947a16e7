import { MetadataError } from './errors.js';

/** A platform (or buildpack) API version, `major.minor`. */
export interface ApiVersion {
  major: number;
  minor: number;
}

/** The platform API versions imgext can drive (extensions need 0.10; 0.13 is the new generated layout). */
export const SUPPORTED_PLATFORM_APIS = ['0.10', '0.11', '0.12', '0.13', '0.14', '0.15'] as const;

export function parseApiVersion(value: string): ApiVersion {
  const m = /^(\d+)\.(\d+)$/.exec(value.trim());
  if (!m) throw new MetadataError('ERR_PLATFORM_API_INVALID', `invalid API version "${value}"`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function compareApiVersions(a: string, b: string): number {
  const x = parseApiVersion(a);
  const y = parseApiVersion(b);
  return x.major - y.major || x.minor - y.minor;
}

/** True when `version` >= `min`. */
export function apiAtLeast(version: string, min: string): boolean {
  return compareApiVersions(version, min) >= 0;
}

/** True when the generated folder uses the >= 0.13 layout (`<id>/<kind>.Dockerfile`). */
export function usesNewGeneratedLayout(platformApi: string): boolean {
  return apiAtLeast(platformApi, '0.13');
}

/** Extensions are experimental below platform API 0.13: phases need CNB_EXPERIMENTAL_MODE. */
export function extensionsExperimental(platformApi: string): boolean {
  return !usesNewGeneratedLayout(platformApi);
}

/**
 * Picks the highest platform API both sides support (as pack does): `lifecycleApis` from the
 * builder metadata (supported + deprecated), `ours` what the platform can drive.
 */
export function negotiatePlatformApi(
  lifecycleApis: readonly string[],
  ours: readonly string[] = SUPPORTED_PLATFORM_APIS,
): string {
  const theirs = new Set(lifecycleApis.map((v) => normalize(v)));
  const common = ours.map(normalize).filter((v) => theirs.has(v));
  if (common.length === 0) {
    throw new MetadataError(
      'ERR_PLATFORM_API_UNSUPPORTED',
      `no common platform API: lifecycle supports [${lifecycleApis.join(', ')}], imgext supports [${ours.join(', ')}]`,
    );
  }
  return common.sort(compareApiVersions).at(-1)!;
}

function normalize(v: string): string {
  const { major, minor } = parseApiVersion(v);
  return `${major}.${minor}`;
}
