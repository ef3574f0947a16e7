/**
 * A DirectoryContext as fsutil's sender sees a file system: its entries in fsutil's walk order
 * (each directory's names sorted bytewise, a directory right before its contents), filtered by the
 * include, exclude and follow-path options of one DiffCopy call with fsutil's rules, each with the
 * Stat that goes on the wire, and the content of regular files read on demand.
 *
 * `files` overlay the directory's root: a name there replaces the same name in `dir`.
 */
import { type BigIntStats, createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { DirectoryContext } from '../api.js';
import {
  cleanPath,
  compileIgnorePatterns,
  type IgnoreMatcher,
} from '../context/ignore-patterns.js';
import { BuildContextError } from '../errors.js';
import { canRequestData, deviceNumbers, GoMode, goFileMode } from './file-mode.js';
import type { FsStat } from './fsutil-packet.js';

/** fsutil reads files in 32 KiB chunks: one DATA packet each. */
export const DATA_CHUNK = 32 * 1024;

export interface WalkFilter {
  includePatterns?: readonly string[];
  excludePatterns?: readonly string[];
  followPaths?: readonly string[];
}

export interface ContextEntry {
  stat: FsStat;
  /** Where the content comes from: the file's path on this machine, or `files["name"]`. */
  source: string;
  /** The content, for regular files (fs errors name the file in their `path`). */
  read(): AsyncIterable<Uint8Array>;
}

type Node = { kind: 'real'; abs: string } | { kind: 'virtual'; name: string; content: Uint8Array };

const NO_CONTENT: AsyncIterable<Uint8Array> = { async *[Symbol.asyncIterator]() {} };

export class ContextSource {
  readonly #dir: string | undefined;
  readonly #files: Map<string, Uint8Array>;
  /** The time stamp of `files` entries (they have no file of their own): when the build began. */
  readonly #filesTime: bigint;

  constructor(context: DirectoryContext, filesTime: bigint = BigInt(Date.now()) * 1_000_000n) {
    this.#dir = context.dir;
    this.#files = new Map();
    for (const [name, content] of Object.entries(context.files ?? {})) {
      if (
        name === '' ||
        name === '.' ||
        name === '..' ||
        name.includes('/') ||
        name.includes('\0')
      ) {
        throw new BuildContextError(
          `the build context's files must be plain file names at the context root: ${JSON.stringify(name)} is not`,
        );
      }
      this.#files.set(name, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    }
    this.#filesTime = filesTime;
  }

  /** Checks that `dir` exists and is a directory: a clear error before any session is opened. */
  async check(): Promise<void> {
    if (this.#dir === undefined) {
      if (this.#files.size === 0) {
        throw new BuildContextError('the build context has neither a directory nor files');
      }
      return;
    }
    let stats: BigIntStats;
    try {
      stats = await stat(this.#dir, { bigint: true });
    } catch (err) {
      throw new BuildContextError(
        `the build context directory ${this.#dir} cannot be read: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!stats.isDirectory()) {
      throw new BuildContextError(`the build context ${this.#dir} is not a directory`);
    }
  }

  /** The entries a DiffCopy with these options sends, in order. */
  async *walk(filter: WalkFilter = {}): AsyncGenerator<ContextEntry> {
    const followed = filter.followPaths?.length
      ? await this.#followLinks(filter.followPaths)
      : undefined;
    let includes = filter.includePatterns?.length ? [...filter.includePatterns] : undefined;
    if (followed !== undefined) {
      // fsutil: a follow path that resolves to the root lifts the include filter
      includes = followed.includes('.') ? undefined : [...(includes ?? []), ...followed];
    }
    const include = includes?.length ? compileIgnorePatterns(includes) : undefined;
    const exclude = filter.excludePatterns?.length
      ? compileIgnorePatterns(filter.excludePatterns)
      : undefined;
    const pending: { entry: ContextEntry; emitted: boolean }[] = [];
    const hardlinks = new Map<string, string>();
    yield* this.#walkDir('', pending, include, exclude, hardlinks);
  }

  async *#walkDir(
    rel: string,
    pending: { entry: ContextEntry; emitted: boolean }[],
    include: IgnoreMatcher | undefined,
    exclude: IgnoreMatcher | undefined,
    hardlinks: Map<string, string>,
  ): AsyncGenerator<ContextEntry> {
    let children: [string, Node][];
    try {
      children = await this.#children(rel);
    } catch (err) {
      // an unreadable directory that is filtered out anyway is no error (fsutil's rule)
      const code = (err as { code?: string }).code;
      if (
        rel !== '' &&
        (code === 'EACCES' || code === 'EPERM') &&
        pending.at(-1)?.emitted === false
      ) {
        return;
      }
      throw err;
    }
    for (const [name, node] of children) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const entry = await this.#entry(node, path);
      if (!entry) continue; // vanished since the directory was read
      const isDir = entry.stat.mode >= GoMode.DIR;
      let skip = false;
      if (include && !include.matches(path)) {
        if (isDir && !include.mayMatchInside(path)) continue;
        skip = true;
      }
      if (exclude?.matches(path)) {
        if (isDir && exclude.canSkipDirectory(path)) continue;
        skip = true;
      }
      if (!skip) {
        for (const parent of pending) {
          if (parent.emitted) continue;
          parent.emitted = true;
          yield parent.entry;
        }
        linkHardlink(entry, hardlinks);
        yield entry;
      }
      if (isDir) {
        pending.push({ entry, emitted: !skip });
        try {
          yield* this.#walkDir(path, pending, include, exclude, hardlinks);
        } finally {
          pending.pop();
        }
      }
    }
  }

  /** A directory's names, sorted bytewise as Go sorts strings. */
  async #children(rel: string): Promise<[string, Node][]> {
    const out = new Map<string, Node>();
    if (this.#dir !== undefined) {
      const abs = rel === '' ? this.#dir : join(this.#dir, rel);
      for (const name of await readdir(abs)) out.set(name, { kind: 'real', abs: join(abs, name) });
    }
    if (rel === '') {
      for (const [name, content] of this.#files) out.set(name, { kind: 'virtual', name, content });
    }
    const keyed = [...out].map((entry) => ({ key: Buffer.from(entry[0]), entry }));
    keyed.sort((a, b) => Buffer.compare(a.key, b.key));
    return keyed.map((k) => k.entry);
  }

  async #entry(node: Node, path: string): Promise<(ContextEntry & { inode?: string }) | undefined> {
    if (node.kind === 'virtual') {
      const content = node.content;
      return {
        stat: {
          path,
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: BigInt(content.length),
          modTime: this.#filesTime,
          linkname: '',
          devmajor: 0n,
          devminor: 0n,
          xattrs: new Map(),
        },
        source: `files[${JSON.stringify(node.name)}]`,
        read: () => chunksOf(content),
      };
    }
    let s: BigIntStats;
    try {
      s = await lstat(node.abs, { bigint: true });
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
    const mode = goFileMode(Number(s.mode));
    const isDir = s.isDirectory();
    const fsStat: FsStat = {
      path,
      mode,
      uid: Number(s.uid),
      gid: Number(s.gid),
      size: isDir ? 0n : s.size,
      modTime: s.mtimeNs,
      linkname: '',
      devmajor: 0n,
      devminor: 0n,
      xattrs: new Map(),
    };
    if (s.isSymbolicLink()) fsStat.linkname = await readlink(node.abs);
    if (s.isBlockDevice() || s.isCharacterDevice()) {
      const { major, minor } = deviceNumbers(s.rdev);
      fsStat.devmajor = major;
      fsStat.devminor = minor;
    }
    const regular = canRequestData(mode);
    const abs = node.abs;
    return {
      stat: fsStat,
      source: abs,
      // a socket travels as an empty regular file, as with fsutil
      read: () => (regular && !s.isSocket() ? readChunks(abs, s.size) : NO_CONTENT),
      ...(!isDir && s.nlink > 1n ? { inode: `${s.dev}:${s.ino}` } : {}),
    };
  }

  /**
   * fsutil's FollowLinks: each follow path with the symlinks on its way resolved (inside the
   * context: a link never leads out of it), every path passed through kept. Loops end where a
   * path repeats.
   */
  async #followLinks(paths: readonly string[]): Promise<string[]> {
    const resolved = new Set<string>();
    const append = async (p: string, depth: number): Promise<void> => {
      if (depth > 255) return; // fsutil has no bound; a chain this long is a loop in disguise
      let rest = cleanPath(p.startsWith('/') ? p.slice(1) : p);
      if (rest === '.' || rest === '') {
        resolved.add('.');
        return;
      }
      let current = '';
      for (;;) {
        const slash = rest.indexOf('/');
        const part = slash === -1 ? rest : rest.slice(0, slash);
        rest = slash === -1 ? '' : rest.slice(slash + 1);
        current = current === '' ? part : `${current}/${part}`;
        const target = await this.#symlinkTarget(current);
        if ((rest === '' || target !== undefined) && resolved.has(current)) return;
        if (target !== undefined) {
          resolved.add(current);
          await append(rest === '' ? target : `${target}/${rest}`, depth + 1);
          return;
        }
        if (rest === '') {
          resolved.add(current);
          return;
        }
      }
    };
    for (const p of paths) await append(p, 0);
    const sorted = [...resolved].sort();
    if (sorted.includes('.')) return ['.'];
    // fsutil's dedupePaths: a path below one already listed adds nothing
    const out: string[] = [];
    for (const p of sorted) {
      const last = out.at(-1);
      if (last !== undefined && p.startsWith(`${last}/`)) continue;
      out.push(p);
    }
    return out;
  }

  /** The context-relative target of `rel` when it is a symlink (undefined otherwise or if absent). */
  async #symlinkTarget(rel: string): Promise<string | undefined> {
    if (!rel.includes('/') && this.#files.has(rel)) return undefined;
    if (this.#dir === undefined) return undefined;
    let link: string;
    try {
      const s = await lstat(join(this.#dir, rel));
      if (!s.isSymbolicLink()) return undefined;
      link = await readlink(join(this.#dir, rel));
    } catch {
      return undefined;
    }
    const joined = link.startsWith('/') ? link : posix.join('/', posix.dirname(rel), link);
    const clean = cleanPath(joined).replace(/^\/+/, '');
    return clean === '' ? '.' : clean;
  }
}

/** A hardlink to a file already sent becomes a link to its first path, as fsutil sends it. */
function linkHardlink(
  entry: ContextEntry & { inode?: string },
  hardlinks: Map<string, string>,
): void {
  if (entry.inode === undefined) return;
  const first = hardlinks.get(entry.inode);
  if (first === undefined) {
    hardlinks.set(entry.inode, entry.stat.path);
    return;
  }
  entry.stat.linkname = first;
  entry.stat.size = 0n;
  entry.read = () => NO_CONTENT;
}

async function* chunksOf(content: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < content.length; i += DATA_CHUNK) yield content.subarray(i, i + DATA_CHUNK);
}

/** Files up to this size are read in one go: a stream per small file costs more than the read. */
const WHOLE_READ_LIMIT = 1024 * 1024;

async function* readChunks(abs: string, size: bigint): AsyncGenerator<Uint8Array> {
  if (size <= BigInt(WHOLE_READ_LIMIT)) {
    yield* chunksOf(await readFile(abs));
    return;
  }
  const stream = createReadStream(abs, { highWaterMark: DATA_CHUNK });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}
