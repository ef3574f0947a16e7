/**
 * Seals the published surface: emits the declarations as `pnpm build` would (tsc with
 * tsconfig.build.json, into a temporary folder) and checks that the .d.ts files a consumer
 * reaches from index.d.ts import nothing from undici, that every error class is exported, and
 * that EngineErrorCode lists every error code.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as published from './index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const out = mkdtempSync(join(tmpdir(), 'imgext-dts-'));

/** Every non-test source file, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.test(-d)?\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The .d.ts files reachable from index.d.ts through relative imports, with their text. */
function reachable(): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const [, spec] of text.matchAll(/(?:from\s+|import\()\s*['"](\.[^'"]+)['"]/g)) {
      visit(resolve(dirname(file), spec!.replace(/\.js$/, '.d.ts')));
    }
  };
  visit(join(out, 'index.d.ts'));
  return seen;
}

beforeAll(() => {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out, '--emitDeclarationOnly'],
    { cwd: root, stdio: 'pipe' },
  );
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('published types', () => {
  it('the declarations a consumer reaches import nothing from undici', () => {
    const files = reachable();
    expect(files.size).toBeGreaterThan(3);
    const leaks = [...files]
      .filter(([, text]) => /['"]undici['"]/.test(text))
      .map(([file]) => relative(out, file));
    expect(leaks).toEqual([]);
  });

  const classes = sources(src).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^export class (\w+Error) extends \w+/gm)].map(
      ([, name]) => name!,
    ),
  );
  const codes = sources(src).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/readonly code(?::\s*string)?\s*=\s*'([A-Z_]+)'/g)].map(
      ([, code]) => code!,
    ),
  );

  it('exports every error class', () => {
    expect(classes.length).toBeGreaterThan(10);
    const missing = classes.filter(
      (name) => typeof (published as Record<string, unknown>)[name] !== 'function',
    );
    expect(missing).toEqual([]);
  });

  it('EngineErrorCode lists every error code', () => {
    const declaration = readFileSync(join(out, 'errors.d.ts'), 'utf8');
    const union = /export type EngineErrorCode =([^;]+);/.exec(declaration)?.[1] ?? '';
    const listed = new Set<string>();
    for (const [, literal] of union.matchAll(/'([A-Z_]+)'/g)) listed.add(literal!);
    // members written as SomeError['code'] stand for that class's code
    for (const [, name] of union.matchAll(/(\w+)\['code'\]/g)) {
      const text = sources(src)
        .map((file) => readFileSync(file, 'utf8'))
        .find((t) => t.includes(`export class ${name} `));
      const code =
        text && new RegExp(`class ${name} [^]*?readonly code = '([A-Z_]+)'`).exec(text)?.[1];
      if (code) listed.add(code);
    }
    expect(codes.length).toBeGreaterThan(10);
    expect(codes.filter((code) => !listed.has(code))).toEqual([]);
  });
});
