/** The build and launch cache volumes of an image: kept between builds, named after the image. */
import { createHash } from 'node:crypto';
import { type EngineClientApi, NotFoundError } from '@imgext/engine-client';

export interface CacheVolumes {
  build: string;
  launch: string;
}

/** A rebuild of the same image reuses them. */
export function cacheVolumes(image: string): CacheVolumes {
  const hash = createHash('sha256').update(image).digest('hex').slice(0, 16);
  return { build: `imgext-cache-${hash}-build`, launch: `imgext-cache-${hash}-launch` };
}

/** Removes a cache volume; a missing one is fine. */
export async function removeCacheVolume(client: EngineClientApi, name: string): Promise<void> {
  await client.volumes.remove(name, { force: true }).catch((err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  });
}
