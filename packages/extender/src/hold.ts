/**
 * A build's hold on the images it extends. Every image a chain builds also gets a tag under
 * `imgext.local/hold/<id>`, in the same build call, so that another build that moves the cache
 * tags on cannot remove them while this one still runs containers from them or exports them.
 * `releaseHold` drops those tags when the build is over: an image no cache tag kept goes with
 * its last tag (its untagged steps are left to `imgext prune` or the daemon's image prune; this
 * happens only when two builds of the same extension and base overlap).
 */
import type { EngineClientApi } from '@imgext/engine-client';
import { ExtenderError } from './errors.js';
import { type NotRemoved, removeOrReport } from './untagged-images.js';

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

/**
 * Drops the hold's tags (a listing filtered by reference: cheap on every store). A tag the
 * daemon keeps (the last one of an image a container still uses) comes back in `notRemoved`.
 */
export async function releaseHold(
  engine: EngineClientApi,
  hold: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ removed: string[]; notRemoved: NotRemoved[] }> {
  if (!hold.startsWith(HOLD_REPOSITORY_PREFIX)) {
    throw new ExtenderError('ERR_INVALID_OPTION', `"${hold}" is not a hold repository`);
  }
  const images = await engine.images.list({ filters: { reference: [hold] }, ...opts });
  const removed: string[] = [];
  const notRemoved: NotRemoved[] = [];
  for (const image of images) {
    for (const ref of image.RepoTags ?? []) {
      if (!ref.startsWith(`${hold}:`)) continue;
      if (await removeOrReport(engine, ref, notRemoved, opts)) removed.push(ref);
    }
  }
  return { removed, notRemoved };
}
