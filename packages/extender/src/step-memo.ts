/**
 * Chain steps whose inputs have not changed since they were built: the image each gave, kept in
 * a host folder, so that a rebuild applies an unchanged Dockerfile with one look-up instead of a
 * build (BuildKit's check of a fully cached Dockerfile still costs ~0.2 s a step; kaniko's, in
 * pack, 0.04 s). A step's key names everything its result follows from: the kind, the extension,
 * the Dockerfile as sent, its build args, the labels, the daemon builder, the base image ID and
 * the context's files (paths, modes, contents). A Dockerfile that mentions `build_id` (the
 * spec's way to defeat the cache: a fresh UUID each build) is never remembered. A remembered
 * image counts only while the step's cache tag still names it (the caller checks): the daemon
 * is the truth, the folder a hint.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BASE_IMAGE_ARG, BASE_IMAGE_REF, type DockerfileStage } from '@imgext/metadata';
import { hostCacheDir } from './layout/layout-cache.js';

/** What a step gave. */
export interface RememberedStep {
  imageId: string;
  /** Steps of that build (all of them count as cache hits when it is reused). */
  steps: number;
}

export interface StepInputs {
  kind: string;
  extension: string;
  /** The Dockerfile as sent to the daemon. */
  text: string;
  buildArgs: Record<string, string>;
  labels?: Record<string, string>;
  builder: string;
  networkMode: string;
  baseImageId: string;
  /** The build context folder, when the Dockerfile reads one. */
  contextDir?: string;
}

/**
 * Whether a Dockerfile's result follows from its text, args, base and context alone, so that a
 * remembered result may stand for it: every stage starts from `${base_image}` or an earlier
 * stage, and nothing is read from another image (`--from=`) or the network (`ADD` of a URL or a
 * git repository), each of which may change under the same text.
 */
export function selfContained(stages: readonly DockerfileStage[], text: string): boolean {
  const own = new Set(stages.flatMap((s) => (s.name ? [s.name.toLowerCase()] : [])));
  const fromOwn = (name: string) =>
    name === BASE_IMAGE_REF || name === `$${BASE_IMAGE_ARG}` || own.has(name.toLowerCase());
  if (!stages.every((s) => fromOwn(s.baseName))) return false;
  if (/--from=/i.test(text)) return false;
  return !/^\s*ADD\b[^\n]*(\b[a-z]+:\/\/|git@)/im.test(text);
}

/** Contexts bigger than this are not hashed (the build is asked instead). */
const MAX_CONTEXT_BYTES = 64 * 1024 * 1024;
const MAX_CONTEXT_ENTRIES = 20_000;

export class StepMemo {
  constructor(readonly dir: string) {}

  /**
   * The key of a step, or undefined when it must not be remembered: it mentions `build_id`, or
   * its context is too big (or unreadable) to hash here.
   */
  static async key(inputs: StepInputs): Promise<string | undefined> {
    if (/\bbuild_id\b/.test(inputs.text)) return undefined;
    const { build_id: _fresh, ...args } = inputs.buildArgs;
    const context = inputs.contextDir ? await contextDigest(inputs.contextDir) : null;
    if (context === undefined) return undefined;
    return createHash('sha256')
      .update(
        JSON.stringify({
          // 2: the classic builder's context keeps mode 000 (format 1 images got 0644/0755).
          format: 2,
          kind: inputs.kind,
          extension: inputs.extension,
          text: inputs.text,
          args: Object.entries(args).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          labels: Object.entries(inputs.labels ?? {}).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
          builder: inputs.builder,
          networkMode: inputs.networkMode,
          base: inputs.baseImageId,
          context,
        }),
      )
      .digest('hex');
  }

  /** The remembered result for `key`; a missing or unreadable entry is none. */
  async get(key: string): Promise<RememberedStep | undefined> {
    try {
      const value = JSON.parse(await readFile(join(this.dir, `${key}.json`), 'utf8'));
      if (typeof value?.imageId !== 'string' || typeof value?.steps !== 'number') return undefined;
      return { imageId: value.imageId, steps: value.steps };
    } catch {
      return undefined;
    }
  }

  /** Remembers `value` for `key` (written whole: a temp file renamed into place). */
  async put(key: string, value: RememberedStep): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.${key}.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, JSON.stringify(value));
      await rename(temp, join(this.dir, `${key}.json`));
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** Forgets `key` (its image is gone). */
  async forget(key: string): Promise<void> {
    await rm(join(this.dir, `${key}.json`), { force: true });
  }
}

/**
 * Where steps are remembered: `IMGEXT_STEP_MEMO` (a folder, or `off`), else
 * `$XDG_CACHE_HOME/imgext/steps` (`~/.cache/imgext/steps`).
 */
export function defaultStepMemoDir(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  return hostCacheDir('IMGEXT_STEP_MEMO', 'steps', env);
}

/**
 * A digest of a context folder: every entry's path, type, mode and content (a link's target),
 * in a fixed order. Undefined when it is bigger than the limits or cannot be read.
 */
async function contextDigest(dir: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  let bytes = 0;
  let entries = 0;
  const walk = async (rel: string): Promise<boolean> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(dir, path);
      const st = await lstat(full);
      if (++entries > MAX_CONTEXT_ENTRIES) return false;
      hash.update(`${path}\0${st.mode}\0${st.uid}:${st.gid}\0`);
      if (st.isDirectory()) {
        if (!(await walk(path))) return false;
      } else if (st.isSymbolicLink()) {
        hash.update(`${await readlink(full)}\0`);
      } else if (st.isFile()) {
        bytes += st.size;
        if (bytes > MAX_CONTEXT_BYTES) return false;
        hash.update(`${st.size}\0`);
        for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
      }
    }
    return true;
  };
  try {
    return (await walk('')) ? hash.digest('hex') : undefined;
  } catch {
    return undefined;
  }
}
