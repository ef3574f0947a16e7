/**
 * How the docs and tools say to start the CLI from a checkout: the bin itself (its shebang is
 * `node --`) or `node -- bin/imgext.js`, never `node bin/imgext.js`, which lets Node 20 read
 * imgext's `--env-file` (node exits 9 with `node: X: not found` before imgext runs; issue 12
 * item 4). build-signal.e2e.test.ts runs the bin with a missing --env-file.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

/** `node`, maybe with options of its own, then the bin's path: no `--` between them. */
const NODE_READS_FLAGS = /\bnode(\s+-{1,2}\w[\w-]*(=\S*)?)*\s+["']?[^\s`"']*bin\/imgext\.js/g;
/** What warns against it: "not `node …`", "never `node …`". */
const WARNING = /\b(not|never)\s+`$/;

async function textFiles(dir: string, ext: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    if (/node_modules|\/dist\//.test(path)) continue;
    if (ext.test(e.name)) out.push(path);
  }
  return out;
}

describe('starting the CLI from a checkout', () => {
  it("the bin's shebang keeps node from reading imgext's flags", async () => {
    const bin = await readFile(join(ROOT, 'apps/cli/bin/imgext.js'), 'utf8');
    expect(bin.split('\n')[0]).toBe('#!/usr/bin/env -S node --');
  });

  it('no doc or tool says `node apps/cli/bin/imgext.js` (node would read --env-file)', async () => {
    const files = [
      join(ROOT, 'README.md'),
      join(ROOT, 'apps/cli/README.md'),
      ...(await textFiles(join(ROOT, 'docs'), /\.md$/)),
      // The tools' shell scripts (no extension) and helpers.
      ...(await textFiles(join(ROOT, 'tools'), /^[^.]+$|\.(sh|mjs|js|md)$/)),
    ];
    const found: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        // One line at a time: a match never spans lines.
        for (const m of line.matchAll(NODE_READS_FLAGS)) {
          if (!WARNING.test(line.slice(0, m.index))) found.push(`${relative(ROOT, file)}: ${m[0]}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('the check finds the wrong form and lets the right ones pass', () => {
    const hits = (s: string) =>
      [...s.matchAll(NODE_READS_FLAGS)].filter((m) => !WARNING.test(s.slice(0, m.index))).length;
    expect(hits('run `node apps/cli/bin/imgext.js` after')).toBe(1);
    expect(hits('imgext() { node "$REPO_DIR/apps/cli/bin/imgext.js" "$@"; }')).toBe(1);
    expect(hits('imgext() { node -- "$REPO_DIR/apps/cli/bin/imgext.js" "$@"; }')).toBe(0);
    expect(hits('node --enable-source-maps apps/cli/bin/imgext.js build')).toBe(1);
    expect(hits('run `apps/cli/bin/imgext.js build x`')).toBe(0);
    expect(hits('(not `node apps/cli/bin/imgext.js`: Node 20 reads')).toBe(0);
  });
});
