/**
 * Small tar helpers over tar-stream: a local folder or in-memory files as a tar stream owned by a
 * given uid:gid (what the daemon's archive API extracts), and tar streams read back.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TarStream } from '@imgext/engine-client';
import { type Pack, extract as tarExtract, pack as tarPack } from 'tar-stream';

type EntryHeader = Parameters<Pack['entry']>[0];

import { LifecycleError } from './errors.js';

export interface Owner {
  uid: number;
  gid: number;
}

export interface MemoryFile {
  /** Path inside the archive, '/'-separated, no leading '/'. */
  path: string;
  content: string | Buffer;
  mode?: number;
}

/** In-memory files (and their parent folders) as a tar stream owned by `owner`. */
export function packFiles(files: MemoryFile[], owner: Owner): TarStream {
  const pack = tarPack();
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = posix.dirname(f.path); d !== '.' && !dirs.has(d); d = posix.dirname(d))
      dirs.add(d);
  }
  for (const d of [...dirs].sort()) {
    pack.entry({ name: `${d}/`, type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid });
  }
  for (const f of files) {
    const content = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
    pack.entry({ name: f.path, mode: f.mode ?? 0o644, uid: owner.uid, gid: owner.gid }, content);
  }
  pack.finalize();
  return asTarStream(pack);
}

/**
 * The folder `dir` as a tar stream under `prefix` (e.g. 'workspace'), every entry owned by
 * `owner`: the prefix folder itself too, so extracting at '/' also sets the mount point's owner.
 * Files are streamed, never read whole.
 */
export function packDirectory(dir: string, prefix: string, owner: Owner): TarStream {
  const pack = tarPack();
  const base = { uid: owner.uid, gid: owner.gid };
  const add = (header: EntryHeader, file?: string) =>
    new Promise<void>((done, fail) => {
      if (!file) {
        pack.entry(header, (err) => (err ? fail(err) : done()));
        return;
      }
      const entry = pack.entry(header, (err) => (err ? fail(err) : done()));
      pipeline(createReadStream(file), entry).catch(fail);
    });
  const walk = async (abs: string): Promise<void> => {
    const rel = relative(dir, abs).split(sep).join('/');
    const name = rel ? `${prefix}/${rel}` : prefix;
    const st = await lstat(abs);
    if (st.isDirectory()) {
      await add({
        ...base,
        name: `${name}/`,
        type: 'directory',
        mode: st.mode & 0o7777,
        mtime: st.mtime,
      });
      const names = (await readdir(abs)).sort();
      for (const n of names) await walk(join(abs, n));
    } else if (st.isSymbolicLink()) {
      await add({ ...base, name, type: 'symlink', linkname: await readlink(abs), mtime: st.mtime });
    } else if (st.isFile()) {
      await add({ ...base, name, size: st.size, mode: st.mode & 0o7777, mtime: st.mtime }, abs);
    }
  };
  walk(resolve(dir)).then(
    () => pack.finalize(),
    (err: unknown) =>
      pack.destroy(
        new LifecycleError('ERR_ARCHIVE', `cannot pack ${dir}: ${String(err)}`, { cause: err }),
      ),
  );
  return asTarStream(pack);
}

/** Reads every regular file of a tar stream into memory (for small files: TOML, Dockerfiles). */
export async function readTarFiles(stream: Readable): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tarExtract();
  feed(stream, extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    if (entry.header.type === 'file') files.set(entry.header.name, Buffer.concat(chunks));
  }
  return files;
}

/** Extracts a tar stream of folders and regular files into `dest` (entries may not escape it). */
export async function extractTo(stream: Readable, dest: string): Promise<void> {
  const root = resolve(dest);
  const extract = tarExtract();
  feed(stream, extract);
  for await (const entry of extract) {
    const target = resolve(root, entry.header.name);
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
}

/** Pipes a node stream into tar-stream's (streamx) extractor, forwarding errors. */
function feed(stream: Readable, extract: ReturnType<typeof tarExtract>): void {
  stream.on('error', (err) => extract.destroy(err));
  stream.pipe(extract as unknown as NodeJS.WritableStream);
}

/** tar-stream's pack is a streamx Readable: async-iterable bytes, which is all the archive API needs. */
function asTarStream(pack: Pack): TarStream {
  return pack as unknown as AsyncIterable<Uint8Array>;
}
