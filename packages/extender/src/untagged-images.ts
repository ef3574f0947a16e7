/**
 * The untagged images the classic builder leaves: one per committed step. The daemon keeps them
 * as its build cache (on the containerd image store as dangling `<none>` images, on the classic
 * store as hidden parents), so imgext removes them only when they can no longer serve: the
 * steps of a failed or cancelled build, the chain a moved cache tag left behind, and what
 * `imgext prune` clears. Listing every image is slow on the containerd store (~10 ms an image),
 * so only prune lists; the rest walks `Parent` links with inspects.
 */
import type { EngineClientApi, ImageSummary } from '@imgext/engine-client';

type Call = { signal?: AbortSignal };

const NONE = '<none>:<none>';
/** The Parent of an inspect, as an ID the engine takes back (podman gives bare hex). */
export const parentOf = (image: { Parent?: string }) =>
  !image.Parent
    ? undefined
    : /^[0-9a-f]{64}$/.test(image.Parent)
      ? `sha256:${image.Parent}`
      : image.Parent;
const tagsOf = (image: { RepoTags: string[] | null }) =>
  (image.RepoTags ?? []).filter((t) => t !== NONE);

/**
 * Which of `images` go with `roots`, children first: a root once all its children have gone,
 * then every untagged parent once all its children have gone. A step another image still builds
 * on stays, and so does every tagged image that is not a root.
 */
export function untaggedAncestry(images: ImageSummary[], roots: Iterable<string>): string[] {
  const byId = new Map(images.map((i) => [i.Id, i]));
  const parentIdOf = (id: string) => parentOf({ Parent: byId.get(id)?.ParentId ?? '' });
  const children = new Map<string, string[]>();
  for (const image of images) {
    const parentId = parentIdOf(image.Id);
    if (!parentId) continue;
    const list = children.get(parentId) ?? [];
    list.push(image.Id);
    children.set(parentId, list);
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
    const parentId = parentIdOf(queue.shift()!);
    if (!parentId || chosen.has(parentId)) continue;
    const parent = byId.get(parentId);
    if (!parent || !(rootSet.has(parentId) || tagsOf(parent).length === 0)) continue;
    if (ready(parentId)) join(parentId);
  }
  return ordered;
}

/** An image or reference a clean-up left behind, and why: reported as a warning, never thrown. */
export interface NotRemoved {
  /** The reference or image ID it tried to remove. */
  ref: string;
  /** The daemon's reason, e.g. "... container 3f2a... is using its referenced image ...". */
  message: string;
  /** The error's code, when it had one (ENGINE_CONFLICT for an image in use). */
  code?: string;
}

const codeOf = (err: unknown) => (err as { code?: string }).code;
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Removes an image or reference where the walk may stop: "already gone" and "still in use"
 * (a container uses it; on the classic store, another image builds on it) are both false, the
 * end of the walk. For a removal the caller expects to succeed, use `removeOrReport`.
 */
export async function removeQuietly(
  engine: EngineClientApi,
  ref: string,
  opts: Call = {},
): Promise<boolean> {
  try {
    await engine.images.remove(ref, opts);
    return true;
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENGINE_NOT_FOUND' || code === 'ENGINE_CONFLICT') return false;
    throw err;
  }
}

/**
 * Removes an image or reference: true once removed, false when it was gone already or the
 * daemon refused (then what was left behind, and why, joins `notRemoved`). Other failures throw.
 */
export async function removeOrReport(
  engine: EngineClientApi,
  ref: string,
  notRemoved: NotRemoved[],
  opts: Call = {},
): Promise<boolean> {
  try {
    await engine.images.remove(ref, opts);
    return true;
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENGINE_NOT_FOUND') return false;
    if (code === 'ENGINE_CONFLICT') {
      notRemoved.push({ ref, message: messageOf(err), code });
      return false;
    }
    throw err;
  }
}

export interface RetireResult {
  /** The references removed. */
  removed: string[];
  /** Images removed beyond those references: the untagged steps behind them. */
  removedUntagged: number;
  /** The references the daemon would not remove (in use by a container), and why. */
  notRemoved: NotRemoved[];
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
  const notRemoved: NotRemoved[] = [];
  for (const ref of refs)
    if (await removeOrReport(engine, ref, notRemoved, opts)) removed.push(ref);
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
  return { removed, removedUntagged, notRemoved };
}

/** `id` and the images below it, by the classic builder's Parent links (inspects, no listing). */
export async function ancestry(
  engine: EngineClientApi,
  id: string,
  opts: Call = {},
): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let at: string | undefined = id; at && !seen.has(at) && seen.size < 1000; ) {
    const image = await engine.images.find(at, opts);
    if (!image) break;
    seen.add(image.Id);
    at = parentOf(image);
  }
  return seen;
}

/**
 * Removes `id` if no tag holds it, then each untagged parent in turn, stopping at a tagged image,
 * at one in `keep` (steps the caller still builds on), or at one the daemon refuses (in use; on
 * the classic store, one with other children). On the classic store the daemon removes the
 * untagged parents itself, and the walk ends at once. With `notRemoved`, a refusal of `id`
 * itself is reported there (its parents stopping the walk are shared steps, not failures).
 */
export async function retireImage(
  engine: EngineClientApi,
  id: string,
  keep: ReadonlySet<string>,
  opts: Call = {},
  notRemoved?: NotRemoved[],
): Promise<number> {
  let removed = 0;
  for (let at: string | undefined = id; at && !keep.has(at); ) {
    const image = await engine.images.find(at, opts);
    if (!image || keep.has(image.Id) || tagsOf(image).length > 0) break;
    const gone =
      notRemoved && at === id
        ? await removeOrReport(engine, image.Id, notRemoved, opts)
        : await removeQuietly(engine, image.Id, opts);
    if (!gone) break;
    removed++;
    at = parentOf(image);
  }
  return removed;
}

export interface RemoveCommittedResult {
  /** How many of the images it removed. */
  removed: number;
  /** The images it could not look up or remove (in use, the engine gone), and why. */
  notRemoved: NotRemoved[];
}

/**
 * Removes images a build committed (short or full IDs, in step order) that nothing tagged or
 * uses: the last first, so that each parent is childless when its turn comes. Never rejects:
 * what it could not remove comes back in `notRemoved`, for the caller to report as a warning.
 */
export async function removeCommitted(
  engine: EngineClientApi,
  ids: readonly string[],
  opts: { keep?: string; signal?: AbortSignal } = {},
): Promise<RemoveCommittedResult> {
  const call = opts.signal ? { signal: opts.signal } : {};
  let removed = 0;
  const notRemoved: NotRemoved[] = [];
  for (const id of [...ids].reverse()) {
    try {
      const image = await engine.images.find(id, call);
      if (!image || image.Id === opts.keep) continue;
      if ((image.RepoTags ?? []).some((t) => t !== NONE)) continue;
      if (await removeOrReport(engine, image.Id, notRemoved, call)) removed++;
    } catch (err) {
      notRemoved.push({ ref: id, message: messageOf(err), ...codeField(err) });
    }
  }
  return { removed, notRemoved };
}

const codeField = (err: unknown) => {
  const code = codeOf(err);
  return code ? { code } : {};
};

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
