/** The build and launch cache volumes of an image: kept between builds, named after the image. */
import { createHash } from 'node:crypto';
import {
  type EngineClientApi,
  InvalidReferenceError,
  NotFoundError,
  normalizeReference,
} from '@imgext/engine-client';

export interface CacheVolumes {
  build: string;
  launch: string;
}

/**
 * A rebuild of the same image reuses them. Keyed on the normalised reference, as pack does:
 * `app`, `app:latest` and `docker.io/library/app:latest` share one cache.
 */
export function cacheVolumes(image: string): CacheVolumes {
  const hash = cacheHash(image);
  return { build: `imgext-cache-${hash}-build`, launch: `imgext-cache-${hash}-launch` };
}

/** What names an image's caches (and the lock on them): its normalised reference, hashed. */
export function cacheHash(image: string): string {
  return createHash('sha256').update(cacheKey(image)).digest('hex').slice(0, 16);
}

/** Removes a cache volume; a missing one is fine. */
export async function removeCacheVolume(client: EngineClientApi, name: string): Promise<void> {
  await client.volumes.remove(name, { force: true }).catch((err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  });
}

function cacheKey(image: string): string {
  try {
    return normalizeReference(image);
  } catch (err) {
    if (err instanceof InvalidReferenceError) return image; // buildApp refuses it before use
    throw err;
  }
}

/** Those of `names` that do not exist yet: what a build would create, and remove if it fails. */
export async function missingVolumes(
  client: EngineClientApi,
  names: string[],
  signal?: AbortSignal,
): Promise<string[]> {
  // Asked at once: one round trip instead of one per volume.
  const found = await Promise.all(
    names.map((name) =>
      client.volumes.inspect(name, signal ? { signal } : {}).then(
        () => true,
        (err: unknown) => {
          if (err instanceof NotFoundError) return false;
          throw err;
        },
      ),
    ),
  );
  return names.filter((_, i) => !found[i]);
}
