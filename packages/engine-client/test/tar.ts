/**
 * A minimal ustar writer for test contexts and archives: entries are streamed, never buffered
 * whole (a file's content may be a generator of chunks), so 1 GiB contexts stay cheap.
 */
export interface TarEntry {
  name: string;
  /** File contents; a directory when `type` is 'directory'. */
  content?: string | Uint8Array | { size: number; chunks: () => Iterable<Uint8Array> };
  type?: 'file' | 'directory';
  mode?: number;
  uid?: number;
  gid?: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(entry: TarEntry, size: number): Buffer {
  const buf = Buffer.alloc(512);
  const dir = entry.type === 'directory';
  buf.write(entry.name + (dir && !entry.name.endsWith('/') ? '/' : ''), 0, 100, 'utf8');
  buf.write(octal(entry.mode ?? (dir ? 0o755 : 0o644), 8), 100, 'ascii');
  buf.write(octal(entry.uid ?? 0, 8), 108, 'ascii');
  buf.write(octal(entry.gid ?? 0, 8), 116, 'ascii');
  buf.write(octal(size, 12), 124, 'ascii');
  buf.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'ascii');
  buf.write('        ', 148, 'ascii');
  buf.write(dir ? '5' : '0', 156, 'ascii');
  buf.write('ustar\0', 257, 'ascii');
  buf.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return buf;
}

/** The tar stream of `entries`, as chunks. */
export function* tarChunks(entries: TarEntry[]): Generator<Buffer> {
  for (const entry of entries) {
    const content = entry.content;
    if (entry.type === 'directory' || content === undefined) {
      yield header(entry, 0);
      continue;
    }
    if (typeof content === 'string' || content instanceof Uint8Array) {
      const data = Buffer.from(content);
      yield header(entry, data.length);
      yield data;
      if (data.length % 512) yield Buffer.alloc(512 - (data.length % 512));
      continue;
    }
    yield header(entry, content.size);
    let written = 0;
    for (const chunk of content.chunks()) {
      written += chunk.length;
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    if (written !== content.size) throw new Error(`${entry.name}: ${written} != ${content.size}`);
    if (written % 512) yield Buffer.alloc(512 - (written % 512));
  }
  yield Buffer.alloc(1024);
}

/** An async iterable of the tar (what the client's TarStream accepts). */
export async function* tarStream(entries: TarEntry[]): AsyncGenerator<Buffer> {
  yield* tarChunks(entries);
}

/** A whole tar in memory, for small fixtures. */
export function tarBuffer(entries: TarEntry[]): Buffer {
  return Buffer.concat([...tarChunks(entries)]);
}

/** Reads the entries of a (small) tar buffer: name -> content. */
export function untar(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos + 512 <= buf.length) {
    const head = buf.subarray(pos, pos + 512);
    if (head.every((b) => b === 0)) break;
    const name = head.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = head.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(
      head.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0',
      8,
    );
    const type = String.fromCharCode(head[156] ?? 48);
    pos += 512;
    if (type === '0' || type === '\0') {
      out.set(prefix ? `${prefix}/${name}` : name, Buffer.from(buf.subarray(pos, pos + size)));
    }
    pos += Math.ceil(size / 512) * 512;
  }
  return out;
}
