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

interface Held {
  /** Builds of this process using the tag. */
  users: number;
  /** The tag request that put it there (settled once it is). */
  tagged: Promise<void>;
}

const inUse = new WeakMap<EngineClientApi, Map<string, Held>>();

/** The reference a build names `imageId` by. */
export function baseTagFor(imageId: string): string {
  return `${BASE_TAG_REPOSITORY}:${imageId.replace(/^sha256:/, '')}`;
}

/**
 * Tags `imageId` for a build (again, when asked: another process may have removed it). A tag
 * another build of this process holds is there already: that build's request is awaited, no
 * new one sent.
 */
export async function acquireBaseTag(
  engine: EngineClientApi,
  imageId: string,
  opts: { signal?: AbortSignal; retag?: boolean } = {},
): Promise<string> {
  const ref = baseTagFor(imageId);
  const held = inUse.get(engine) ?? new Map<string, Held>();
  inUse.set(engine, held);
  const h = held.get(ref);
  let entry = h;
  try {
    if (h && !opts.retag) {
      h.users++;
      // the other build's tag request failed: this one tries its own
      await h.tagged.catch(() => {
        h.tagged = tag(engine, imageId, ref, opts.signal);
        return h.tagged;
      });
      return ref;
    }
    const tagged = tag(engine, imageId, ref, opts.signal);
    if (h) h.tagged = tagged;
    else {
      entry = { users: 1, tagged };
      held.set(ref, entry);
    }
    await tagged;
    return ref;
  } catch (err) {
    // no build of this one's: it uses nothing (a retag keeps its caller's use)
    if (entry && !opts.retag && --entry.users === 0 && held.get(ref) === entry) held.delete(ref);
    throw err;
  }
}

function tag(
  engine: EngineClientApi,
  imageId: string,
  ref: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  return engine.images.tag(
    imageId,
    BASE_TAG_REPOSITORY,
    ref.slice(BASE_TAG_REPOSITORY.length + 1),
    {
      ...(signal ? { signal } : {}),
    },
  );
}

/** Ends one build's use; the last one removes the tag. Resolves whether it removed it. */
export async function releaseBaseTag(engine: EngineClientApi, ref: string): Promise<boolean> {
  const held = inUse.get(engine);
  const h = held?.get(ref);
  if (h && h.users > 1) {
    h.users--;
    return false;
  }
  held?.delete(ref);
  // a tag request still under way would put the tag back after the removal
  await h?.tagged.catch(() => undefined);
  return removeQuietly(engine, ref);
}
