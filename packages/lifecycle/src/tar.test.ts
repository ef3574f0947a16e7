import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UploadProgress } from './app-archive.js';
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
  const out: Array<{
    name: string;
    type: string;
    uid: number;
    gid: number;
    mode: number;
    size: number;
    linkname?: string;
    content: Buffer;
  }> = [];
  for await (const entry of ex) {
    const h = entry.header;
    out.push({
      name: h.name,
      type: String(h.type),
      uid: h.uid,
      gid: h.gid,
      mode: h.mode ?? -1,
      size: h.size ?? 0,
      ...(h.linkname ? { linkname: h.linkname } : {}),
      content: await drain(entry as AsyncIterable<Buffer>),
    });
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

  it("extracts podman's mount-point archives (entries named '/', '/a') under the top folder", async () => {
    const podmanStyle = async function* () {
      yield* packFiles(
        [
          { path: '/group.toml', content: 'g' },
          { path: '/generated/x/build.Dockerfile', content: 'FROM a' },
        ],
        { uid: 0, gid: 0 },
      );
    };
    await extractTo(Readable.from(podmanStyle()), join(dir, 'out'), 'layers');
    expect(await readFile(join(dir, 'out/layers/group.toml'), 'utf8')).toBe('g');
    expect(await readFile(join(dir, 'out/layers/generated/x/build.Dockerfile'), 'utf8')).toBe(
      'FROM a',
    );
  });

  it('keeps every mode exactly, 000 and setuid included (tar-stream wrote 0644 for 0)', async () => {
    await mkdir(join(dir, 'app/locked'), { recursive: true });
    const modes: Record<string, number> = { none: 0o000, ro: 0o400, suid: 0o4755, x: 0o751 };
    for (const [name, mode] of Object.entries(modes)) {
      await writeFile(join(dir, 'app', name), name);
      await chmod(join(dir, 'app', name), mode);
    }
    await chmod(join(dir, 'app/locked'), 0o000);
    try {
      const list = await headers(packDirectory(join(dir, 'app'), '.', { uid: 1, gid: 1 }));
      const mode = (n: string) => list.find((h) => h.name === n)?.mode;
      for (const [name, m] of Object.entries(modes)) expect(mode(`./${name}`), name).toBe(m);
      expect(mode('./locked/')).toBe(0);
      const files = await packFilesModes();
      expect(files).toBe(0);
    } finally {
      await chmod(join(dir, 'app/locked'), 0o755);
    }
  });

  it('long names (ustar prefix, then pax), big files and their content travel intact', async () => {
    const deep = `${'d'.repeat(90)}/${'e'.repeat(90)}`;
    const longName = `${'n'.repeat(120)}-\u00e9t\u00e9.txt`;
    await mkdir(join(dir, 'app', deep), { recursive: true });
    await writeFile(join(dir, 'app', deep, 'f.txt'), 'deep');
    await writeFile(join(dir, 'app', longName), 'long');
    await symlink(`${'t'.repeat(150)}`, join(dir, 'app/far-link'));
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
    await writeFile(join(dir, 'app/big.bin'), big);
    const list = await headers(packDirectory(join(dir, 'app'), '.', { uid: 1, gid: 1 }));
    const get = (n: string) => list.find((h) => h.name === n);
    expect(get(`./${deep}/f.txt`)?.content.toString()).toBe('deep');
    expect(get(`./${longName}`)?.content.toString()).toBe('long');
    expect(get('./far-link')?.linkname).toBe('t'.repeat(150));
    expect(get('./big.bin')?.content.equals(big)).toBe(true);
  });

  it('leaves out what the filter excludes, keeps folders with something included; reports progress', async () => {
    await mkdir(join(dir, 'app/.git/objects'), { recursive: true });
    await mkdir(join(dir, 'app/src/deep'), { recursive: true });
    await mkdir(join(dir, 'app/empty'), { recursive: true });
    await writeFile(join(dir, 'app/.git/objects/x'), 'git');
    await writeFile(join(dir, 'app/src/deep/a.js'), 'a');
    await writeFile(join(dir, 'app/src/b.md'), 'bb');
    await writeFile(join(dir, 'app/top.js'), 'top');
    const seen: UploadProgress[] = [];
    const list = await headers(
      packDirectory(
        join(dir, 'app'),
        '.',
        { uid: 1, gid: 1 },
        {
          // keep *.js anywhere, never .git
          filter: (path, directory) =>
            path === '.git' ? false : directory ? 'descend' : path.endsWith('.js'),
          onProgress: (p) => seen.push(p),
        },
      ),
    );
    expect(list.map((h) => h.name)).toEqual([
      './',
      './src/',
      './src/deep/',
      './src/deep/a.js',
      './top.js',
    ]);
    expect(seen.at(-1)).toEqual({ files: 2, bytes: 4, totalFiles: 2, totalBytes: 4 });
  });

  it('names the file it cannot read', async () => {
    await mkdir(join(dir, 'app'), { recursive: true });
    await writeFile(join(dir, 'app/secret'), 'x');
    await chmod(join(dir, 'app/secret'), 0o000);
    const iterate = async () => {
      for await (const _ of packDirectory(join(dir, 'app'), '.', { uid: 1, gid: 1 })) {
        // drain
      }
    };
    if (process.getuid?.() === 0) {
      await expect(iterate()).resolves.toBeUndefined(); // root reads anything
    } else {
      await expect(iterate()).rejects.toMatchObject({ code: 'ERR_APP_READ' });
    }
  });
});

async function drain(entry: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of entry) chunks.push(c);
  return Buffer.concat(chunks);
}

async function packFilesModes(): Promise<number | undefined> {
  const ex = extract();
  Readable.from(packFiles([{ path: 'x', content: 'x', mode: 0 }], { uid: 0, gid: 0 })).pipe(
    ex as unknown as NodeJS.WritableStream,
  );
  let mode: number | undefined;
  for await (const entry of ex) {
    if (entry.header.name === 'x') mode = entry.header.mode;
    entry.resume();
  }
  return mode;
}
