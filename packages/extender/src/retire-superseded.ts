/** Removing what a chain's moved cache tags superseded, off the critical path. */
import type { EngineClientApi } from '@imgext/engine-client';
import type { ChainResult } from './apply-chain.js';
import { cacheTag } from './cache-tags.js';
import {
  ancestry,
  type NotRemoved,
  parentOf,
  removeOrReport,
  retireImage,
} from './untagged-images.js';

/**
 * Removes what `applyChain` superseded: each image a cache tag moved away from, the later
 * Dockerfiles' cached results built on it (their tags, then their images), and the untagged steps
 * below them down to the steps the new chain still shares (or a tagged image, or one something
 * else holds). Costs an inspect and a removal per image (~0.1 s each on the containerd store),
 * which is why the chain leaves it to the caller. A cache tag or superseded image the daemon keeps
 * (a container uses it) comes back in `notRemoved`; the walks below them stop quietly at shared
 * steps.
 */
export async function retireSuperseded(
  engine: EngineClientApi,
  chain: Pick<ChainResult, 'imageId' | 'superseded'> &
    Partial<Pick<ChainResult, 'applied' | 'baseImageId'>>,
  opts: { signal?: AbortSignal } = {},
): Promise<{ removed: number; notRemoved: NotRemoved[] }> {
  const notRemoved: NotRemoved[] = [];
  if (chain.superseded.length === 0) return { removed: 0, notRemoved };
  // The classic builder's Parent links give the chain's images; BuildKit's images have none,
  // so the chain's own results (and its base) are kept by name.
  const keep = await ancestry(engine, chain.imageId, opts);
  for (const a of chain.applied ?? []) keep.add(a.imageId);
  if (chain.baseImageId) keep.add(chain.baseImageId);
  let removed = 0;
  for (const s of chain.superseded) {
    // Each image with its parent, read before its tag goes (the last tag takes the image along).
    const roots: Array<{ id: string; parent: string | undefined }> = [];
    const first = await engine.images.find(s.imageId, opts);
    if (first) roots.push({ id: first.Id, parent: parentOf(first) });
    let base = s.imageId;
    for (const extension of s.later) {
      const ref = cacheTag(s.kind, extension, base);
      const image = await engine.images.find(ref, opts);
      if (!image || keep.has(image.Id)) break;
      roots.push({ id: image.Id, parent: parentOf(image) });
      await removeOrReport(engine, ref, notRemoved, opts);
      base = image.Id;
    }
    // Downstream first: each walk climbs into the chain before it.
    for (const { id, parent } of roots.reverse()) {
      const gone = !(await engine.images.find(id, opts));
      // The superseded image itself is expected to go: a refusal (a container uses it) is reported.
      if (!gone) removed += await retireImage(engine, id, keep, opts, notRemoved);
      else if (parent) removed += await retireImage(engine, parent, keep, opts);
    }
  }
  return { removed, notRemoved };
}
