/**
 * The app folder as a tar stream, fast: the tree is scanned first (so the totals are known and
 * the progress can say "n of N"), then headers and small files are written straight into 1 MiB
 * chunks; big files are read in 1 MiB slices. Modes are kept exactly
 * (0 included), every entry is owned by the given uid:gid.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { LifecycleError } from './errors.js';
import type { Owner } from './tar.js';
import {
  BLOCK,
  END_OF_ARCHIVE,
  encodeHeader,
  padding,
  type TarHeader,
  writeUstarInto,
} from './tar-header.js';

/**
 * Decides what of the app travels, by its path relative to the app folder ('/'-separated).
 * true: keep (a folder: with everything under it the filter keeps); false: leave out (a folder:
 * and everything under it); 'descend' (folders): look inside, keep the folder only when something
 * in it is kept.
 */
export type AppFilter = (path: string, directory: boolean) => boolean | 'descend';

export interface AppEntry {
  /** Path relative to the app folder, '' for the folder itself. */
  path: string;
  abs: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  mtime: number;
  linkname?: string;
}

export interface AppTree {
  entries: AppEntry[];
  files: number;
  bytes: number;
  /** Paths the filter left out (folders count once). */
  excluded: number;
}

export interface UploadProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
}

/**
 * Scans `dir` (which must be a folder). Sockets, FIFOs and devices are skipped. The file system
 * calls are synchronous (a thread-pool round trip per lstat costs more than the lstat), in slices
 * of at most ~20 ms between which the event loop runs.
 */
export async function scanApp(dir: string, filter?: AppFilter): Promise<AppTree> {
  const tree: AppTree = { entries: [], files: 0, bytes: 0, excluded: 0 };
  const root = stat(dir, '');
  if (root?.type !== 'directory') {
    throw new LifecycleError('ERR_APP_NOT_DIR', `the app path ${dir} is not a folder`);
  }
  const slice = { started: performance.now() };
  tree.entries = [root, ...(await walk(dir, '', filter, tree, slice))];
  for (const e of tree.entries) {
    if (e.type === 'file') {
      tree.files += 1;
      tree.bytes += e.size;
    }
  }
  return tree;
}

const SLICE_MS = 20;

async function walk(
  abs: string,
  rel: string,
  filter: AppFilter | undefined,
  tree: AppTree,
  slice: { started: number },
): Promise<AppEntry[]> {
  if (performance.now() - slice.started > SLICE_MS) {
    await new Promise((r) => setImmediate(r));
    slice.started = performance.now();
  }
  let names: string[];
  try {
    names = readdirSync(abs).sort();
  } catch (err) {
    throw readError(abs, err);
  }
  const out: AppEntry[] = [];
  for (const name of names) {
    const path = rel ? `${rel}/${name}` : name;
    const entry = stat(join(abs, name), path);
    if (!entry) continue;
    const verdict = filter ? filter(path, entry.type === 'directory') : true;
    if (verdict === false) {
      tree.excluded += 1;
      continue;
    }
    if (entry.type !== 'directory') {
      if (verdict !== 'descend') out.push(entry);
      continue;
    }
    const below = verdict === 'descend' ? filter : keepAll(filter);
    const inside = await walk(entry.abs, path, below, tree, slice);
    if (verdict === 'descend' && inside.length === 0) continue;
    out.push(entry);
    for (const e of inside) out.push(e);
  }
  return out;
}

/** Below a folder the filter kept, only its explicit exclusions still apply. */
function keepAll(filter: AppFilter | undefined): AppFilter | undefined {
  if (!filter) return undefined;
  return (path, directory) => filter(path, directory) !== false;
}

function stat(abs: string, path: string): AppEntry | undefined {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(abs);
  } catch (err) {
    throw readError(abs, err);
  }
  const base = { path, abs, mode: st.mode & 0o7777, size: 0, mtime: Math.floor(st.mtimeMs / 1000) };
  if (st.isDirectory()) return { ...base, type: 'directory' };
  if (st.isFile()) return { ...base, type: 'file', size: st.size };
  if (st.isSymbolicLink()) {
    try {
      return { ...base, type: 'symlink', linkname: readlinkSync(abs) };
    } catch (err) {
      throw readError(abs, err);
    }
  }
  return undefined;
}

/** Files up to this size are read straight into the outgoing chunk, synchronously. */
const SMALL = 256 << 10;
/** Bytes gathered before a chunk is handed to the socket. */
const CHUNK = 1 << 20;
const PROGRESS_EVERY_MS = 500;

export interface AppArchiveOptions {
  owner: Owner;
  /** The archive's name of the app folder itself ('.' : entries are './...'). */
  prefix?: string;
  onProgress?: (p: UploadProgress) => void;
}

/**
 * The scanned tree as tar bytes, pull-based: nothing is read faster than it is sent. Headers and
 * small files are written into 1 MiB chunks (one synchronous open/read/close per file, ~20 µs,
 * where fs.promises costs a thread-pool round trip per call); big files go in 1 MiB slices.
 */
export async function* appArchive(
  tree: AppTree,
  { owner, prefix = '.', onProgress }: AppArchiveOptions,
): AsyncGenerator<Uint8Array> {
  const progress: UploadProgress = {
    files: 0,
    bytes: 0,
    totalFiles: tree.files,
    totalBytes: tree.bytes,
  };
  let lastReport = performance.now();
  const report = (force: boolean) => {
    const now = performance.now();
    if (!onProgress || (!force && now - lastReport < PROGRESS_EVERY_MS)) return;
    lastReport = now;
    onProgress({ ...progress });
  };
  let chunk = Buffer.allocUnsafe(CHUNK);
  let used = 0;
  for (const e of tree.entries) {
    const h: TarHeader = {
      name: e.path ? `${prefix}/${e.path}` : prefix,
      type: e.type,
      mode: e.mode,
      uid: owner.uid,
      gid: owner.gid,
      size: e.size,
      mtime: e.mtime,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    const small = e.type !== 'file' || e.size <= SMALL;
    const content = small ? e.size + padding(e.size) : 0;
    // Most headers are one block written in place; long names and the like go through pax.
    if (used + BLOCK + content > chunk.length) {
      yield chunk.subarray(0, used);
      report(false);
      chunk = Buffer.allocUnsafe(Math.max(CHUNK, BLOCK + content));
      used = 0;
    }
    if (writeUstarInto(chunk, used, h)) {
      used += BLOCK;
    } else {
      const header = encodeHeader(h);
      if (used + header.length + content > chunk.length) {
        yield chunk.subarray(0, used);
        chunk = Buffer.allocUnsafe(Math.max(CHUNK, header.length + content));
        used = 0;
      }
      used += header.copy(chunk, used);
    }
    if (e.type === 'file') {
      if (small) {
        readSmall(e, chunk, used);
        used += e.size;
        const pad = padding(e.size);
        chunk.fill(0, used, used + pad);
        used += pad;
      } else {
        if (used > 0) yield chunk.subarray(0, used);
        chunk = Buffer.allocUnsafe(CHUNK);
        used = 0;
        yield* readBig(e, (n) => {
          progress.bytes += n;
          report(false);
        });
        progress.bytes -= e.size; // counted below with the file
        const pad = padding(e.size);
        chunk.fill(0, 0, pad);
        used = pad;
      }
      progress.files += 1;
      progress.bytes += e.size;
    }
  }
  if (used + END_OF_ARCHIVE.length > chunk.length) {
    yield chunk.subarray(0, used);
    chunk = Buffer.allocUnsafe(END_OF_ARCHIVE.length);
    used = 0;
  }
  used += END_OF_ARCHIVE.copy(chunk, used);
  yield chunk.subarray(0, used);
  report(true);
}

function readSmall(e: AppEntry, into: Buffer, at: number): void {
  if (e.size === 0) return;
  let fd: number;
  try {
    fd = openSync(e.abs, 'r');
  } catch (err) {
    throw readError(e.abs, err);
  }
  try {
    let done = 0;
    while (done < e.size) {
      const n = readSync(fd, into, at + done, e.size - done, done);
      if (n === 0) throw changed(e, done);
      done += n;
    }
  } catch (err) {
    if (err instanceof LifecycleError) throw err;
    throw readError(e.abs, err);
  } finally {
    closeSync(fd);
  }
}

async function* readBig(e: AppEntry, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(e.abs, 'r');
  } catch (err) {
    throw readError(e.abs, err);
  }
  try {
    let left = e.size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, buf.length, e.size - left));
      } catch (err) {
        throw readError(e.abs, err);
      }
      if (bytesRead === 0) throw changed(e, e.size - left);
      left -= bytesRead;
      onBytes(bytesRead);
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

function changed(e: AppEntry, now: number): LifecycleError {
  return new LifecycleError(
    'ERR_APP_CHANGED',
    `${e.abs} changed while it was uploaded (${e.size} bytes when scanned, ${now} when read)`,
  );
}

function readError(abs: string, err: unknown): LifecycleError {
  const code = (err as { code?: string }).code;
  return new LifecycleError(
    'ERR_APP_READ',
    `cannot read ${abs} of the app${code ? ` (${code})` : ''}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
}

/**
 * `source` one chunk ahead: the next chunk is made (synchronous reads) right after the consumer
 * took the current one and handed it to the socket, so the socket is never idle waiting for the
 * reads; without it each 1 MiB waited for the previous one to drain.
 */
export async function* oneAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  // After a macrotask: the consumer's write of the chunk just yielded goes first.
  const later = () => new Promise<void>((r) => setImmediate(r)).then(() => source.next());
  let next = source.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = later();
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    await next.catch(() => undefined);
    await source.return(undefined);
  }
}
