import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTo, packDirectory, packFiles, readTarFiles } from './tar.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgext-tar-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function headers(stream: AsyncIterable<Uint8Array>) {
  const ex = extract();
  Readable.from(stream).pipe(ex as unknown as NodeJS.WritableStream);
  const out: Array<{ name: string; type: string; uid: number; gid: number; linkname?: string }> =
    [];
  for await (const entry of ex) {
    const h = entry.header;
    out.push({
      name: h.name,
      type: String(h.type),
      uid: h.uid,
      gid: h.gid,
      ...(h.linkname ? { linkname: h.linkname } : {}),
    });
    entry.resume();
  }
  return out;
}

describe('tar helpers', () => {
  it('packs a folder under a prefix, every entry (the prefix folder too) owned as asked', async () => {
    await mkdir(join(dir, 'app/sub'), { recursive: true });
    await writeFile(join(dir, 'app/a.txt'), 'A');
    await writeFile(join(dir, 'app/sub/b.txt'), 'B');
    await symlink('a.txt', join(dir, 'app/link'));
    const list = await headers(
      packDirectory(join(dir, 'app'), 'workspace', {
        uid: 1000,
        gid: 1001,
      }) as AsyncIterable<Uint8Array>,
    );
    expect(list.map((h) => `${h.type} ${h.name}`)).toEqual([
      'directory workspace/',
      'file workspace/a.txt',
      'symlink workspace/link',
      'directory workspace/sub/',
      'file workspace/sub/b.txt',
    ]);
    expect(list.every((h) => h.uid === 1000 && h.gid === 1001)).toBe(true);
    expect(list.find((h) => h.type === 'symlink')?.linkname).toBe('a.txt');
  });

  it('packs in-memory files with their parent folders; reads them back', async () => {
    const tar = packFiles([{ path: 'platform/env/A', content: 'x' }], { uid: 0, gid: 0 });
    const files = await readTarFiles(Readable.from(tar as AsyncIterable<Uint8Array>));
    expect([...files.keys()]).toEqual(['platform/env/A']);
    expect(files.get('platform/env/A')?.toString()).toBe('x');
  });

  it('extracts into a folder and refuses entries that escape it', async () => {
    await extractTo(
      Readable.from(
        packFiles([{ path: 'g/x/build.Dockerfile', content: 'FROM a' }], {
          uid: 0,
          gid: 0,
        }) as AsyncIterable<Uint8Array>,
      ),
      join(dir, 'out'),
    );
    expect(await readFile(join(dir, 'out/g/x/build.Dockerfile'), 'utf8')).toBe('FROM a');
    const evil = Readable.from(
      packFiles([{ path: '../evil', content: 'x' }], {
        uid: 0,
        gid: 0,
      }) as AsyncIterable<Uint8Array>,
    );
    await expect(extractTo(evil, join(dir, 'out'))).rejects.toMatchObject({ code: 'ERR_ARCHIVE' });
  });
});
