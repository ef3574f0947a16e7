/**
 * The names BuildKit builds `FROM`: it resolves a reference and cannot take an image ID, so the
 * base of each Dockerfile is handed over as a tag. One name per image (`imgext.local/hold/base:
 * <ID hex>`), shared by every build of this process that extends that image: Docker 26.1's
 * containerd store fails one of two concurrent BuildKit builds that name the same image by
 * different references (it looks the second name up in a registry). Counted per engine client,
 * so the tag goes when the last build using it ends.
 */
import type { EngineClientApi } from '@imgext/engine-client';
import { HOLD_REPOSITORY_PREFIX } from '../hold.js';
import { removeQuietly } from '../untagged-images.js';

export const BASE_TAG_REPOSITORY = `${HOLD_REPOSITORY_PREFIX}base`;

const inUse = new WeakMap<EngineClientApi, Map<string, number>>();

/** The reference a build names `imageId` by. */
export function baseTagFor(imageId: string): string {
  return `${BASE_TAG_REPOSITORY}:${imageId.replace(/^sha256:/, '')}`;
}

/** Tags `imageId` for a build (again, when asked: another process may have removed it). */
export async function acquireBaseTag(
  engine: EngineClientApi,
  imageId: string,
  opts: { signal?: AbortSignal; retag?: boolean } = {},
): Promise<string> {
  const ref = baseTagFor(imageId);
  const counts = inUse.get(engine) ?? new Map<string, number>();
  inUse.set(engine, counts);
  const n = counts.get(ref) ?? 0;
  counts.set(ref, n + (opts.retag ? 0 : 1));
  await engine.images.tag(imageId, BASE_TAG_REPOSITORY, ref.slice(BASE_TAG_REPOSITORY.length + 1), {
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return ref;
}

/** Ends one build's use; the last one removes the tag. Resolves whether it removed it. */
export async function releaseBaseTag(engine: EngineClientApi, ref: string): Promise<boolean> {
  const counts = inUse.get(engine);
  const n = (counts?.get(ref) ?? 1) - 1;
  if (n > 0) {
    counts?.set(ref, n);
    return false;
  }
  counts?.delete(ref);
  return removeQuietly(engine, ref);
}
