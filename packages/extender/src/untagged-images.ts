/**
 * The untagged images the classic builder leaves: one per committed step. The daemon keeps them
 * as its build cache (on the containerd image store as dangling `<none>` images, on the classic
 * store as hidden parents), so imgext removes them only when they can no longer serve: the
 * steps of a failed or cancelled build, the chain a moved cache tag left behind, what a build's
 * hold kept until it ended, and what `imgext prune` clears.
 */
import type { EngineClientApi, ImageSummary } from '@imgext/engine-client';

type Call = { signal?: AbortSignal };

const NONE = '<none>:<none>';
const tagsOf = (image: ImageSummary) => (image.RepoTags ?? []).filter((t) => t !== NONE);

/**
 * Which of `images` go with `roots`, children first: a root once all its children have gone,
 * then every untagged parent once all its children have gone. A step another image still builds
 * on stays, and so does every tagged image that is not a root.
 */
export function untaggedAncestry(images: ImageSummary[], roots: Iterable<string>): string[] {
  const byId = new Map(images.map((i) => [i.Id, i]));
  const children = new Map<string, string[]>();
  for (const image of images) {
    if (!image.ParentId) continue;
    const list = children.get(image.ParentId) ?? [];
    list.push(image.Id);
    children.set(image.ParentId, list);
  }
  const rootSet = new Set(roots);
  const chosen = new Set<string>();
  const ordered: string[] = [];
  const ready = (id: string) => (children.get(id) ?? []).every((c) => chosen.has(c));
  const queue: string[] = [];
  const join = (id: string) => {
    chosen.add(id);
    ordered.push(id);
    queue.push(id);
  };
  for (const id of rootSet) if (!chosen.has(id) && ready(id)) join(id);
  while (queue.length > 0) {
    const parentId = byId.get(queue.shift()!)?.ParentId;
    if (!parentId || chosen.has(parentId)) continue;
    const parent = byId.get(parentId);
    if (!parent || !(rootSet.has(parentId) || tagsOf(parent).length === 0)) continue;
    if (ready(parentId)) join(parentId);
  }
  return ordered;
}

/** Removes an image or reference, treating "already gone" and "still in use" as nothing to do. */
export async function removeQuietly(
  engine: EngineClientApi,
  ref: string,
  opts: Call = {},
): Promise<boolean> {
  try {
    await engine.images.remove(ref, opts);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENGINE_NOT_FOUND' || code === 'ENGINE_CONFLICT') return false;
    throw err;
  }
}

export interface RetireResult {
  /** The references removed. */
  removed: string[];
  /** Images removed beyond those references: the untagged steps behind them. */
  removedUntagged: number;
}

/**
 * Removes `refs`, then each of `roots` that no tag holds any more (gone with its last reference,
 * or untagged), with the untagged steps only they used, children first. On the classic store the
 * daemon removes a deleted image's untagged parents itself; on the containerd store it leaves
 * them, and this removes them.
 */
export async function retireImages(
  engine: EngineClientApi,
  refs: readonly string[],
  roots: readonly string[],
  opts: Call = {},
): Promise<RetireResult> {
  const before = await engine.images.list({ all: true, ...opts });
  const removed: string[] = [];
  for (const ref of refs) if (await removeQuietly(engine, ref, opts)) removed.push(ref);
  const after = new Map(
    (await engine.images.list({ all: true, ...opts })).map((i) => [i.Id, i] as const),
  );
  const orphans = roots.filter((id) => {
    const now = after.get(id);
    return !now || tagsOf(now).length === 0;
  });
  let removedUntagged = 0;
  for (const id of untaggedAncestry(before, orphans)) {
    if (!after.has(id)) continue;
    if ((await removeQuietly(engine, id, opts)) && !orphans.includes(id)) removedUntagged++;
  }
  return { removed, removedUntagged };
}

/**
 * Removes images a build committed (short or full IDs, in step order) that nothing tagged or
 * uses: the last first, so that each parent is childless when its turn comes.
 */
export async function removeCommitted(
  engine: EngineClientApi,
  ids: readonly string[],
  opts: { keep?: string } = {},
): Promise<number> {
  let removed = 0;
  for (const id of [...ids].reverse()) {
    const image = await engine.images.find(id).catch(() => undefined);
    if (!image || image.Id === opts.keep) continue;
    if ((image.RepoTags ?? []).some((t) => t !== NONE)) continue;
    if (await removeQuietly(engine, image.Id)) removed++;
  }
  return removed;
}

/** The references `matches` accepts, and the images that carry them. */
export async function refsUnder(
  engine: EngineClientApi,
  matches: (ref: string) => boolean,
  opts: Call = {},
): Promise<{ refs: string[]; roots: string[] }> {
  const refs: string[] = [];
  const roots: string[] = [];
  for (const image of await engine.images.list({ all: true, ...opts })) {
    const ours = tagsOf(image).filter(matches);
    if (ours.length === 0) continue;
    refs.push(...ours);
    roots.push(image.Id);
  }
  return { refs, roots };
}
