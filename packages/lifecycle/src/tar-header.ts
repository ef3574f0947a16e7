/**
 * ustar headers (POSIX.1-1988 with the pax extended header of POSIX.1-2001 for what ustar cannot
 * hold: long paths and link targets, big sizes and ids). Written by hand rather than with
 * tar-stream, whose pack treats a mode of 0 as "unset" and writes 0644 (issue 12 item 10): here a
 * mode is always written exactly as given.
 */

export type TarEntryType = 'file' | 'directory' | 'symlink';

export interface TarHeader {
  /** '/'-separated, no leading '/'; a directory's name may end in '/'. */
  name: string;
  type: TarEntryType;
  /** Permission bits (0o7777 mask), written as given: 0 stays 0. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content (files only). */
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  /** The target of a symlink. */
  linkname?: string;
}

export const BLOCK = 512;
const TYPEFLAG: Record<TarEntryType, string> = { file: '0', directory: '5', symlink: '2' };
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

/** The header block(s) of one entry: a pax header first when ustar cannot hold a field. */
export function encodeHeader(h: TarHeader): Buffer {
  const name = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const size = h.type === 'file' ? (h.size ?? 0) : 0;
  const pax: Record<string, string> = {};
  const split = splitName(name);
  if (!split) pax.path = name;
  const linkname = h.linkname ?? '';
  if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
  if (size > MAX_OCTAL_11) pax.size = String(size);
  if (h.uid > MAX_OCTAL_7) pax.uid = String(h.uid);
  if (h.gid > MAX_OCTAL_7) pax.gid = String(h.gid);
  const ustar = block({
    name: split?.name ?? truncate(name, 100),
    prefix: split?.prefix ?? '',
    mode: h.mode & 0o7777,
    uid: h.uid > MAX_OCTAL_7 ? 0 : h.uid,
    gid: h.gid > MAX_OCTAL_7 ? 0 : h.gid,
    size: size > MAX_OCTAL_11 ? 0 : size,
    mtime: Math.max(0, Math.floor(h.mtime ?? 0)),
    typeflag: TYPEFLAG[h.type],
    linkname: pax.linkpath ? truncate(linkname, 100) : linkname,
  });
  if (Object.keys(pax).length === 0) return ustar;
  const body = Buffer.from(
    Object.entries(pax)
      .map(([k, v]) => paxRecord(k, v))
      .join(''),
  );
  const paxHeader = block({
    name: truncate(`PaxHeaders/${split?.name ?? name}`, 100),
    prefix: '',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: 0,
    typeflag: 'x',
    linkname: '',
  });
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), ustar]);
}

/** Zero bytes that complete `size` bytes of content to a whole block. */
export function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** The end of an archive: two zero blocks. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK);

function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  // ustar: prefix (<= 155 bytes) + '/' + name (<= 100 bytes), cut at a '/'.
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  for (let i = trimmed.indexOf('/'); i !== -1; i = trimmed.indexOf('/', i + 1)) {
    const prefix = trimmed.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') {
      return { name: rest, prefix };
    }
  }
  return undefined;
}

/** An ASCII stand-in of at most `bytes` for a field whose real value is in the pax header. */
function truncate(s: string, bytes: number): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, bytes);
}

/** "<len> key=value\n", where len counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest);
  let digits = String(restBytes).length;
  while (String(restBytes + digits).length !== digits) digits += 1;
  return `${restBytes + digits}${rest}`;
}

interface Fields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}

function block(f: Fields): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name, 0, 100, 'utf8');
  octal(b, 100, 8, f.mode);
  octal(b, 108, 8, f.uid);
  octal(b, 116, 8, f.gid);
  octal(b, 124, 12, f.size);
  octal(b, 136, 12, f.mtime);
  b.fill(0x20, 148, 156); // checksum: spaces while summing
  b.write(f.typeflag, 156, 1, 'latin1');
  b.write(f.linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'latin1');
  b.write(f.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i] as number;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return b;
}

/** `value` in octal, zero-padded to width - 1 digits and a NUL. */
function octal(b: Buffer, offset: number, width: number, value: number): void {
  b.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'latin1');
}

const TEMPLATE = (() => {
  const b = Buffer.alloc(BLOCK);
  b.write('ustar\u000000', 257, 8, 'latin1');
  return b;
})();

/**
 * The fast path of encodeHeader, for the common entry (name and link target within 100 bytes,
 * ids and size within ustar's octal fields): writes the one block straight into `buf` at `at`
 * (which must have BLOCK bytes free) and returns true; false (nothing written) otherwise.
 */
export function writeUstarInto(buf: Buffer, at: number, h: TarHeader): boolean {
  const name = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const size = h.type === 'file' ? (h.size ?? 0) : 0;
  const linkname = h.linkname ?? '';
  if (
    name.length > 100 ||
    Buffer.byteLength(name) > 100 ||
    Buffer.byteLength(linkname) > 100 ||
    size > MAX_OCTAL_11 ||
    h.uid > MAX_OCTAL_7 ||
    h.gid > MAX_OCTAL_7
  ) {
    return false;
  }
  TEMPLATE.copy(buf, at);
  buf.write(name, at, 100, 'utf8');
  fastOctal(buf, at + 100, 8, h.mode & 0o7777);
  fastOctal(buf, at + 108, 8, h.uid);
  fastOctal(buf, at + 116, 8, h.gid);
  fastOctal(buf, at + 124, 12, size);
  fastOctal(buf, at + 136, 12, Math.max(0, Math.floor(h.mtime ?? 0)));
  buf.fill(0x20, at + 148, at + 156);
  buf[at + 156] = TYPEFLAG[h.type].charCodeAt(0);
  if (linkname) buf.write(linkname, at + 157, 100, 'utf8');
  let sum = 0;
  for (let i = at; i < at + BLOCK; i++) sum += buf[i] as number;
  fastOctal(buf, at + 148, 7, sum);
  buf[at + 155] = 0x20;
  return true;
}

/** `value` as width - 1 zero-padded octal digits and a NUL, without making strings. */
function fastOctal(b: Buffer, offset: number, width: number, value: number): void {
  let v = value;
  for (let i = offset + width - 2; i >= offset; i--) {
    b[i] = 48 + (v % 8);
    v = Math.floor(v / 8);
  }
  b[offset + width - 1] = 0;
}
