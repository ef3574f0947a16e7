/**
 * Small tar helpers over tar-stream: a local folder or in-memory files as a tar stream owned by a
 * given uid:gid (what the daemon's archive API extracts), and tar streams read back.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, posix, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TarStream } from '@imgext/engine-client';
import { extract as tarExtract } from 'tar-stream';
import { type AppArchiveOptions, type AppFilter, appArchive, scanApp } from './app-archive.js';
import { LifecycleError } from './errors.js';
import { END_OF_ARCHIVE, encodeHeader, padding } from './tar-header.js';

export interface Owner {
  uid: number;
  gid: number;
}

export interface MemoryFile {
  /** Path inside the archive, '/'-separated, no leading '/'. */
  path: string;
  content: string | Buffer;
  mode?: number;
  /** A symbolic link to this target instead of a file (`content` is ignored). */
  linkname?: string;
  /** A folder instead of a file (`content` is ignored). */
  directory?: boolean;
}

/** In-memory files (and their parent folders) as a tar stream owned by `owner`. */
export function packFiles(files: MemoryFile[], owner: Owner): TarStream {
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = posix.dirname(f.path); d !== '.' && !dirs.has(d); d = posix.dirname(d))
      dirs.add(d);
    if (f.directory) dirs.add(f.path);
  }
  const blocks: Buffer[] = [];
  for (const d of [...dirs].sort()) {
    blocks.push(encodeHeader({ name: d, type: 'directory', mode: 0o755, ...owner }));
  }
  for (const f of files) {
    if (f.directory) continue;
    if (f.linkname !== undefined) {
      blocks.push(
        encodeHeader({
          name: f.path,
          type: 'symlink',
          mode: f.mode ?? 0o777,
          linkname: f.linkname,
          ...owner,
        }),
      );
      continue;
    }
    const content = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
    blocks.push(
      encodeHeader({
        name: f.path,
        type: 'file',
        mode: f.mode ?? 0o644,
        size: content.length,
        ...owner,
      }),
      content,
      Buffer.alloc(padding(content.length)),
    );
  }
  blocks.push(END_OF_ARCHIVE);
  const archive = Buffer.concat(blocks);
  return {
    async *[Symbol.asyncIterator]() {
      yield archive;
    },
  };
}

/**
 * The folder `dir` as a tar stream under `prefix` (e.g. 'workspace'), every entry owned by
 * `owner`: the prefix folder itself too, so extracting at '/' also sets the mount point's owner.
 * Modes are kept exactly. Files are streamed, never read whole (see app-archive.ts).
 */
export function packDirectory(
  dir: string,
  prefix: string,
  owner: Owner,
  opts: {
    filter?: AppFilter;
    onProgress?: AppArchiveOptions['onProgress'];
    /** The mode each entry is archived with (default: its own, exactly). */
    mode?: (type: 'file' | 'directory' | 'symlink', mode: number) => number;
  } = {},
): TarStream {
  return (async function* () {
    const tree = await scanApp(dir, opts.filter);
    const { mode } = opts;
    if (mode) for (const e of tree.entries) e.mode = mode(e.type, e.mode);
    yield* appArchive(tree, {
      owner,
      prefix,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  })();
}

/** Reads every regular file of a tar stream into memory (for small files: TOML, Dockerfiles). */
export async function readTarFiles(stream: Readable): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tarExtract();
  feed(stream, extract);
  try {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === 'file') files.set(entry.header.name, Buffer.concat(chunks));
    }
  } catch (err) {
    release(stream);
    throw err;
  }
  return files;
}

/**
 * A response stream left half-read keeps its connection busy, and every later request to the
 * engine waits behind it (a failed copy-out then hung the clean-up): end it.
 */
function release(stream: Readable): void {
  stream.unpipe();
  stream.destroy();
}

/**
 * Extracts a tar stream of folders and regular files into `dest` (entries may not escape it).
 * `top`: the name of the archive's top folder. podman names the entries of a volume's mount point
 * `/`, `/a.toml`, ... where Docker names them `layers/`, `layers/a.toml`: such names are put
 * under `top`.
 */
export async function extractTo(stream: Readable, dest: string, top?: string): Promise<void> {
  const root = resolve(dest);
  const extract = tarExtract();
  feed(stream, extract);
  try {
    for await (const entry of extract) {
      const name =
        top !== undefined && entry.header.name.startsWith('/')
          ? `${top}${entry.header.name}`
          : entry.header.name;
      const target = resolve(root, name);
      if (target !== root && !target.startsWith(root + sep)) {
        entry.resume();
        throw new LifecycleError(
          'ERR_ARCHIVE',
          `archive entry escapes its folder: ${entry.header.name}`,
        );
      }
      if (entry.header.type === 'directory') {
        await mkdir(target, { recursive: true });
        entry.resume();
      } else if (entry.header.type === 'file') {
        await mkdir(dirname(target), { recursive: true });
        await pipeline(
          entry,
          createWriteStream(target, { mode: (entry.header.mode ?? 0o644) & 0o777 }),
        );
      } else {
        entry.resume();
      }
    }
  } catch (err) {
    release(stream);
    throw err;
  }
}

/** Pipes a node stream into tar-stream's (streamx) extractor, forwarding errors. */
function feed(stream: Readable, extract: ReturnType<typeof tarExtract>): void {
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract as unknown as NodeJS.WritableStream);
}
