import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildContextError } from '../errors.js';
import { ContextSource, type WalkFilter } from './context-source.js';
import { GoMode } from './file-mode.js';

async function listing(source: ContextSource, filter: WalkFilter = {}) {
  const out: string[] = [];
  for await (const entry of source.walk(filter)) out.push(entry.stat.path);
  return out;
}

async function content(source: ContextSource, path: string): Promise<string> {
  for await (const entry of source.walk()) {
    if (entry.stat.path !== path) continue;
    const chunks: Uint8Array[] = [];
    for await (const chunk of entry.read()) chunks.push(chunk);
    return Buffer.concat(chunks).toString();
  }
  throw new Error(`${path} not listed`);
}

describe('ContextSource', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'imgext-ctx-src-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('walks in fsutil order: names sorted bytewise, a directory right before its contents', async () => {
    for (const name of ['b', 'a-b', 'A', 'é', 'z']) writeFileSync(join(dir, name), name);
    mkdirSync(join(dir, 'a/c'), { recursive: true });
    writeFileSync(join(dir, 'a/c/d'), 'd');
    writeFileSync(join(dir, 'a/b'), 'b');
    expect(await listing(new ContextSource({ dir }))).toEqual([
      'A',
      'a',
      'a/b',
      'a/c',
      'a/c/d',
      'a-b',
      'b',
      'z',
      'é',
    ]);
  });

  it('files take the place of the same names at the root; they alone can be the context', async () => {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM old');
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf/x'), 'x');
    const source = new ContextSource({
      dir,
      files: { Dockerfile: 'FROM new', conf: 'a file now' },
    });
    expect(await listing(source)).toEqual(['Dockerfile', 'conf']);
    expect(await content(source, 'Dockerfile')).toBe('FROM new');
    expect(await listing(new ContextSource({ files: { Dockerfile: 'x' } }))).toEqual([
      'Dockerfile',
    ]);
  });

  it('refuses file names that are not plain names, and a missing directory', async () => {
    for (const name of ['a/b', '..', '', '.']) {
      expect(() => new ContextSource({ files: { [name]: 'x' } })).toThrow(BuildContextError);
    }
    await expect(new ContextSource({ dir: join(dir, 'missing') }).check()).rejects.toThrow(
      /cannot be read/,
    );
    writeFileSync(join(dir, 'file'), '');
    await expect(new ContextSource({ dir: join(dir, 'file') }).check()).rejects.toThrow(
      /is not a directory/,
    );
    await expect(new ContextSource({}).check()).rejects.toThrow(BuildContextError);
  });

  it('include patterns keep matches and the directories on their way; excludes drop, "!" re-includes', async () => {
    mkdirSync(join(dir, 'src/lib'), { recursive: true });
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'src/lib/a.ts'), '');
    writeFileSync(join(dir, 'src/lib/a.test.ts'), '');
    writeFileSync(join(dir, 'src/main.ts'), '');
    writeFileSync(join(dir, 'docs/readme'), '');
    const source = new ContextSource({ dir });
    expect(await listing(source, { includePatterns: ['src/lib'] })).toEqual([
      'src',
      'src/lib',
      'src/lib/a.test.ts',
      'src/lib/a.ts',
    ]);
    expect(
      await listing(source, { includePatterns: ['**/*.ts'], excludePatterns: ['**/*.test.ts'] }),
    ).toEqual(['src', 'src/lib', 'src/lib/a.ts', 'src/main.ts']);
    expect(await listing(source, { excludePatterns: ['src', '!src/main.ts'] })).toEqual([
      'docs',
      'docs/readme',
      'src',
      'src/main.ts',
    ]);
  });

  it('follow paths resolve symlinks inside the context into includes', async () => {
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real/Dockerfile'), 'FROM x');
    symlinkSync('real', join(dir, 'linkdir'));
    symlinkSync('/real/Dockerfile', join(dir, 'abs-link'));
    writeFileSync(join(dir, 'unrelated'), '');
    const source = new ContextSource({ dir });
    expect(await listing(source, { followPaths: ['linkdir/Dockerfile'] })).toEqual([
      'linkdir',
      'real',
      'real/Dockerfile',
    ]);
    // an absolute target is taken inside the context, never outside it
    expect(await listing(source, { followPaths: ['abs-link'] })).toEqual([
      'abs-link',
      'real',
      'real/Dockerfile',
    ]);
  });

  it('sends a hard link to a file already listed as a link to its first path', async () => {
    writeFileSync(join(dir, 'first'), 'content');
    linkSync(join(dir, 'first'), join(dir, 'second'));
    const entries = [];
    for await (const entry of new ContextSource({ dir }).walk()) entries.push(entry.stat);
    expect(entries.map((s) => [s.path, s.linkname, s.size])).toEqual([
      ['first', '', 7n],
      ['second', 'first', 0n],
    ]);
  });

  it('records modes as Go os.FileMode bits', async () => {
    mkdirSync(join(dir, 'd'));
    chmodSync(join(dir, 'd'), 0o2750);
    writeFileSync(join(dir, 'x'), '');
    chmodSync(join(dir, 'x'), 0o4755);
    symlinkSync('x', join(dir, 'l'));
    const modes = new Map<string, number>();
    for await (const entry of new ContextSource({ dir }).walk())
      modes.set(entry.stat.path, entry.stat.mode);
    expect(modes.get('d')).toBe(GoMode.DIR + GoMode.SETGID + 0o750);
    expect(modes.get('x')).toBe(GoMode.SETUID + 0o755);
    expect(modes.get('l')).toBe(GoMode.SYMLINK + 0o777);
  });
});
