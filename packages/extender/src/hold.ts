/**
 * A build's hold on the images it extends. Every image a chain builds also gets a tag under
 * `imgext.local/hold/<id>`, in the same build call, so that another build that moves the cache
 * tags on cannot remove them while this one still runs containers from them or exports them.
 * `releaseHold` drops those tags when the build is over and removes what no cache tag kept.
 */
import type { EngineClientApi } from '@imgext/engine-client';
import { ExtenderError } from './errors.js';
import { type RetireResult, refsUnder, retireImages } from './untagged-images.js';

export const HOLD_REPOSITORY_PREFIX = 'imgext.local/hold/';

/** The hold repository for a build or session id (lower-cased, other characters as '-'). */
export function holdRepository(id: string): string {
  const name = id
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+/, '');
  if (!name) throw new ExtenderError('ERR_INVALID_OPTION', `"${id}" cannot name a hold`);
  return `${HOLD_REPOSITORY_PREFIX}${name}`;
}

/** The tag one chain result gets under a hold. */
export function holdTag(hold: string, kind: string, index: number): string {
  return `${hold}:${kind}-${index}`;
}

/** Drops the hold's tags; images no cache tag kept go, with the untagged steps only they used. */
export async function releaseHold(
  engine: EngineClientApi,
  hold: string,
  opts: { signal?: AbortSignal } = {},
): Promise<RetireResult> {
  if (!hold.startsWith(HOLD_REPOSITORY_PREFIX)) {
    throw new ExtenderError('ERR_INVALID_OPTION', `"${hold}" is not a hold repository`);
  }
  const { refs, roots } = await refsUnder(engine, (ref) => ref.startsWith(`${hold}:`), opts);
  return retireImages(engine, refs, roots, opts);
}
