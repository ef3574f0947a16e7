import { createHash } from 'node:crypto';
import type { EngineClientApi } from '@imgext/engine-client';
import { escapeId } from '@imgext/metadata';
import { ExtenderError } from './errors.js';
import { HOLD_REPOSITORY_PREFIX } from './hold.js';
import { type RetireResult, refsUnder, retireImages } from './untagged-images.js';

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

export type PruneResult = RetireResult;

export interface PruneOptions {
  signal?: AbortSignal;
  /**
   * Only cache references that start with this (default: every imgext cache reference, and the
   * holds of builds that ended without releasing theirs).
   */
  prefix?: string;
}

/**
 * Removes imgext's cache references (`imgext.local/cache/...`) and, for images no other tag
 * holds, the untagged step images behind them that nothing else uses. Meant for when no imgext
 * build is running: it also removes the holds (`imgext.local/hold/...`) a killed build left.
 */
export async function pruneCache(
  engine: EngineClientApi,
  opts: PruneOptions = {},
): Promise<PruneResult> {
  const prefix = opts.prefix ?? CACHE_REPOSITORY_PREFIX;
  if (!prefix.startsWith(CACHE_REPOSITORY_PREFIX)) {
    throw new ExtenderError(
      'ERR_INVALID_OPTION',
      `the prune prefix must start with ${CACHE_REPOSITORY_PREFIX}, got "${prefix}"`,
    );
  }
  const call = opts.signal ? { signal: opts.signal } : {};
  const matches = (ref: string) =>
    ref.startsWith(prefix) || (opts.prefix === undefined && ref.startsWith(HOLD_REPOSITORY_PREFIX));
  const { refs, roots } = await refsUnder(engine, matches, call);
  return retireImages(engine, refs, roots, call);
}
