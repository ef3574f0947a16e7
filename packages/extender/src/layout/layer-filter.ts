import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { extract, type Pack, pack } from 'tar-stream';

/** Paths whose changes must not persist in extension layers (as the lifecycle's kaniko ignore list). */
export const EXCLUDED_PATHS = ['workspace', 'layers', 'platform', 'var/run'] as const;

export interface FilteredLayer {
  /** sha256 of the uncompressed (filtered) tar. */
  diffId: string;
  /** sha256 of the gzip blob. */
  digest: string;
  size: number;
  /** Entries dropped because they were under an excluded path. */
  dropped: string[];
}

/** True when a tar entry name lies under one of `excluded`. */
export function isExcluded(name: string, excluded: readonly string[] = EXCLUDED_PATHS): boolean {
  const p = name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  return excluded.some((x) => p === x || p.startsWith(`${x}/`));
}

/**
 * Streams one layer (plain or gzip tar) to `dest` as a gzip blob with the entries under the
 * excluded paths removed, hashing both forms on the way. Nothing is buffered beyond a chunk.
 */
export async function filterLayer(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  dest: string,
  opts: { excluded?: readonly string[]; signal?: AbortSignal } = {},
): Promise<FilteredLayer> {
  const excluded = opts.excluded ?? EXCLUDED_PATHS;
  const input = Readable.from(source, { objectMode: false });
  const [first, rest] = await peek(input);
  const gz = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const raw = gz ? rest.pipe(createGunzip()) : rest;
  const ex = extract();
  const out = pack();
  const dropped: string[] = [];
  const repack = (async () => {
    for await (const e of ex) {
      if (isExcluded(e.header.name, excluded)) {
        dropped.push(e.header.name);
        e.resume();
        continue;
      }
      await copyEntry(e, out.entry({ ...e.header, mode: packMode(e.header.mode ?? 0) }));
    }
    out.finalize();
  })();
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  let size = 0;
  const signal = opts.signal ? { signal: opts.signal } : {};
  await Promise.all([
    pipeline(raw, ex, signal).catch((err: unknown) => {
      out.destroy(err as Error);
      throw err;
    }),
    repack,
    pipeline(
      out,
      hashing(diff),
      // A tar of small files comes in pieces of a few hundred bytes: one zlib call each cost
      // more than the compression (the output is the same however the input is cut).
      coalescing(GZIP_CHUNK),
      createGzip({ level: 1 }),
      hashing(blob, (n) => {
        size += n;
      }),
      createWriteStream(dest),
      signal,
    ),
  ]);
  return {
    diffId: `sha256:${diff.digest('hex')}`,
    digest: `sha256:${blob.digest('hex')}`,
    size,
    dropped,
  };
}

const GZIP_CHUNK = 256 * 1024;

/**
 * The mode to hand tar-stream's pack() so that the header holds exactly `mode & 0o7777`, 0
 * included: pack() takes a mode of 0 for "unset" and writes 0644 (0755 for a folder), so a file of
 * mode 000 in a run extension's layer would come out readable (issue 12 item 10); its header
 * encoder writes only `mode & 0o7777`. A file-type bit above those (S_IFREG) keeps the mode from
 * being 0 and is not written. tar-stream is pinned; layer-filter.test.ts reads the modes back.
 */
function packMode(mode: number): number {
  return (mode & 0o7777) | 0o100000;
}

/** A tar-stream pack entry (a streamx Writable). */
type EntryWriter = ReturnType<Pack['entry']>;

/** Copies a tar entry's content into the pack's entry (a bare loop: `pipeline` per entry costs). */
async function copyEntry(source: AsyncIterable<unknown>, dest: EntryWriter): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    dest.once('finish', () => resolve());
    dest.once('error', (err: Error) => reject(err));
  });
  try {
    for await (const chunk of source) {
      if (!dest.write(chunk))
        await new Promise<void>((resolve) => dest.once('drain', () => resolve()));
    }
    dest.end(undefined);
  } catch (err) {
    dest.destroy(err as Error);
    throw err;
  }
  await done;
}

/** Passes the bytes on in chunks of at least `size` (the last one may be shorter). */
function coalescing(size: number): Transform {
  let parts: Buffer[] = [];
  let held = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      held += chunk.length;
      if (held < size) return cb();
      const out = Buffer.concat(parts, held);
      parts = [];
      held = 0;
      cb(null, out);
    },
    flush(cb) {
      cb(null, held ? Buffer.concat(parts, held) : undefined);
    },
  });
}

function hashing(hash: Hash, count?: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count?.(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Reads the first chunk and returns it with a stream that still yields everything. */
async function peek(input: Readable): Promise<[Buffer, Readable]> {
  const it = input[Symbol.asyncIterator]();
  const head = await it.next();
  const first: Buffer = head.done ? Buffer.alloc(0) : Buffer.from(head.value as Uint8Array);
  async function* all() {
    if (first.length) yield first;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Uint8Array;
  }
  return [first, Readable.from(all(), { objectMode: false })];
}
