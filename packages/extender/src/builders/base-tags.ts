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
 * new one sent. `signal` is checked before a request goes out, never while it is under way: a
 * tag request given up on the client may still be carried out by the daemon, and its tag would
 * then be left behind with no use counted. Once sent, the request is seen through and the use
 * counted, so the caller's release (after its aborted build) removes the tag.
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
  opts.signal?.throwIfAborted();
  try {
    if (h && !opts.retag) {
      h.users++;
      // the other build's tag request failed: this one tries its own
      await h.tagged.catch(() => {
        h.tagged = tag(engine, imageId, ref);
        return h.tagged;
      });
      return ref;
    }
    const tagged = tag(engine, imageId, ref);
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

/** Never under a signal (see acquireBaseTag); a daemon that stops answering hits the client's timeout. */
function tag(engine: EngineClientApi, imageId: string, ref: string): Promise<void> {
  return engine.images.tag(imageId, BASE_TAG_REPOSITORY, ref.slice(BASE_TAG_REPOSITORY.length + 1));
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
