import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LayoutSink } from './layout-sink.js';

/** One call the layout writer made on its sink, in order: replaying them writes the same layout. */
type Step = { blob: string } | { file: string };

interface Recorded<T> {
  steps: Step[];
  result: T;
}

const RECORD = 'record.json';

/**
 * Finished run-image layouts kept in a host folder, so a rebuild whose extended run image is the
 * same (the extensions' cached steps: the same image ID) writes its layout without reading the
 * image out of the daemon again. An entry is the layout writer's calls on its sink, in order, with
 * the files they wrote; its key names everything the layout depends on (the engine, the image
 * ID, the options). Blobs are checked against their digest when replayed; a damaged entry is
 * dropped and counts as a miss. The `keep` most recently used entries stay.
 */
export class RunLayoutCache {
  constructor(
    readonly dir: string,
    readonly keep = 8,
  ) {}

  /** A key for everything the layout depends on (JSON-serialisable parts). */
  static key(parts: unknown): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  /**
   * Writes the cached layout for `key` into `sink`, returning the result it was recorded with,
   * or undefined (nothing written) when there is no sound entry.
   */
  async replay<T>(key: string, sink: LayoutSink): Promise<T | undefined> {
    const entry = join(this.dir, key);
    let rec: Recorded<T>;
    try {
      rec = JSON.parse(await readFile(join(entry, RECORD), 'utf8')) as Recorded<T>;
      for (const s of rec.steps)
        if ('blob' in s && (await sha256Of(join(entry, blobPath(s.blob)))) !== s.blob)
          throw new Error('damaged');
    } catch {
      await rm(entry, { recursive: true, force: true });
      return undefined;
    }
    for (const s of rec.steps) {
      if ('blob' in s) {
        const temp = await sink.tempPath();
        try {
          await copyFile(join(entry, blobPath(s.blob)), temp);
          await sink.commitBlob(temp, s.blob);
        } catch (err) {
          await sink.discard(temp);
          throw err;
        }
      } else {
        await sink.writeFile(s.file, await readFile(join(entry, s.file)));
      }
    }
    const now = new Date();
    await utimes(entry, now, now).catch(() => undefined);
    return rec.result;
  }

  /**
   * Wraps `sink` so that what is written through it is also kept; `commit(result)` makes it the
   * entry for `key` (atomically), `abandon()` drops it.
   */
  async record<T>(
    key: string,
    sink: LayoutSink,
  ): Promise<{ sink: LayoutSink; commit(result: T): Promise<void>; abandon(): Promise<void> }> {
    const staging = join(this.dir, `.tmp-${randomUUID()}`);
    await mkdir(join(staging, 'blobs', 'sha256'), { recursive: true });
    const steps: Step[] = [];
    const recording: LayoutSink = {
      tempPath: () => sink.tempPath(),
      discard: (temp) => sink.discard(temp),
      async commitBlob(temp, digest) {
        await copyFile(temp, join(staging, blobPath(digest)));
        steps.push({ blob: digest });
        await sink.commitBlob(temp, digest);
      },
      async writeFile(name, content) {
        await mkdir(join(staging, name, '..'), { recursive: true });
        await writeFile(join(staging, name), content);
        steps.push({ file: name });
        await sink.writeFile(name, content);
      },
    };
    return {
      sink: recording,
      commit: async (result) => {
        await writeFile(join(staging, RECORD), JSON.stringify({ steps, result }));
        const entry = join(this.dir, key);
        await rm(entry, { recursive: true, force: true });
        await rename(staging, entry);
        await this.#evict();
      },
      abandon: () => rm(staging, { recursive: true, force: true }),
    };
  }

  async #evict(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => !n.startsWith('.'));
    if (names.length <= this.keep) return;
    const aged = await Promise.all(
      names.map(async (n) => ({ n, t: (await stat(join(this.dir, n))).mtimeMs })),
    );
    aged.sort((a, b) => b.t - a.t);
    for (const { n } of aged.slice(this.keep))
      await rm(join(this.dir, n), { recursive: true, force: true });
  }
}

/**
 * Where builds keep run layouts: $IMGEXT_RUN_LAYOUT_CACHE, else $XDG_CACHE_HOME/imgext/run-layouts,
 * else ~/.cache/imgext/run-layouts; undefined (no cache) when IMGEXT_RUN_LAYOUT_CACHE is 'off'.
 */
export function defaultRunLayoutCacheDir(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  return hostCacheDir('IMGEXT_RUN_LAYOUT_CACHE', 'run-layouts', env);
}

/**
 * One of imgext's folders on the host: `env[variable]` (a folder, or `off`: none), else
 * `$XDG_CACHE_HOME/imgext/<name>` (`~/.cache/imgext/<name>`).
 */
export function hostCacheDir(
  variable: string,
  name: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const set = env[variable];
  if (set === 'off') return undefined;
  if (set) return set;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'imgext', name);
}

const blobPath = (digest: string) => join('blobs', 'sha256', digest.replace(/^sha256:/, ''));

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(path)) hash.update(c as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
