import { createHash } from 'node:crypto';
import type { EngineClientApi } from '@imgext/engine-client';
import { escapeId } from '@imgext/metadata';

/** Repository prefix of the intermediate images imgext keeps so the daemon's build cache survives. */
export const CACHE_REPOSITORY_PREFIX = 'imgext.local/cache/';

/**
 * The tag of one intermediate image: repository per kind and extension, tag from the base it
 * was applied to, so an unchanged chain re-tags the same names.
 */
export function cacheTag(kind: string, extension: string, baseImageId: string): string {
  const repo = `${kind}-${escapeId(extension)}`.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  const tag = createHash('sha256').update(baseImageId).digest('hex').slice(0, 20);
  return `${CACHE_REPOSITORY_PREFIX}${repo}:${tag}`;
}

export interface PruneResult {
  /** The references removed. */
  removed: string[];
}

/** Removes every `imgext.local/cache/...` image (the daemon keeps images other tags still use). */
export async function pruneCache(
  engine: EngineClientApi,
  opts: { signal?: AbortSignal } = {},
): Promise<PruneResult> {
  const images = await engine.images.list(opts.signal ? { signal: opts.signal } : {});
  const refs = images.flatMap((i) =>
    (i.RepoTags ?? []).filter((t) => t.startsWith(CACHE_REPOSITORY_PREFIX)),
  );
  const removed: string[] = [];
  for (const ref of refs) {
    await engine.images.remove(ref, opts.signal ? { signal: opts.signal } : {});
    removed.push(ref);
  }
  return { removed };
}
