import { describe, expect, it } from 'vitest';
import { BLOCK, encodeHeader, type TarHeader, writeUstarInto } from './tar-header.js';

describe('tar headers', () => {
  const cases: TarHeader[] = [
    { name: './a.txt', type: 'file', mode: 0, uid: 1000, gid: 1000, size: 12345, mtime: 1e9 },
    { name: './d', type: 'directory', mode: 0o2755, uid: 0, gid: 0, mtime: 5 },
    { name: './l', type: 'symlink', mode: 0o777, uid: 1, gid: 2, linkname: '../x/y' },
    { name: './\u00e9t\u00e9', type: 'file', mode: 0o4750, uid: 7, gid: 8, size: 0 },
  ];
  it('the in-place fast path writes exactly what encodeHeader does', () => {
    for (const h of cases) {
      const buf = Buffer.alloc(BLOCK + 3, 0xff);
      expect(writeUstarInto(buf, 3, h)).toBe(true);
      expect(buf.subarray(3).equals(encodeHeader(h)), h.name).toBe(true);
    }
  });

  it('declines what needs a pax header (encodeHeader writes one)', () => {
    const long: TarHeader = {
      name: `./${'n'.repeat(120)}`,
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
    };
    expect(writeUstarInto(Buffer.alloc(BLOCK), 0, long)).toBe(false);
    expect(encodeHeader(long).length).toBeGreaterThan(BLOCK);
  });
});
