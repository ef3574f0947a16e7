/**
 * The built command as users run it (bin/imgext.js over dist/cli, the bundle of
 * scripts/bundle.mjs): it loads a few modules, not the workspace's ~300, and a bug's stack trace
 * still names the TypeScript sources (bin/imgext.js maps a crash's stack from the maps beside the
 * bundle). Needs `pnpm build`; no daemon.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const bin = resolve(import.meta.dirname, '../bin/imgext.js');
const built = existsSync(resolve(import.meta.dirname, '../dist/cli/imgext.js'));

/** Runs `node [preload] bin args`; its exit code, stdout and stderr. */
async function run(
  args: string[],
  preload?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const nodeArgs = preload
    ? ['--import', `data:text/javascript,${encodeURIComponent(preload)}`]
    : [];
  return exec(process.execPath, [...nodeArgs, bin, ...args], { encoding: 'utf8' }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  );
}

// Lists, at exit, the files the process loaded as ES modules (a loader hook tells of each).
const listModules = `
import { register } from 'node:module';
const seen = [];
const { port1, port2 } = new MessageChannel();
port1.on('message', (u) => seen.push(u));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(
  'let p; export function initialize(d) { p = d.port } export async function load(u, c, n) { p.postMessage(u); return n(u, c) }'
), import.meta.url, { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => process.stderr.write('MODULES ' + JSON.stringify(seen.filter((u) => u.startsWith('file:'))) + '\\n'));
`;

describe.skipIf(!built)('the bundled command', () => {
  it('imgext build --help loads its bundle: a handful of files of dist/cli, no workspace module', async () => {
    const { code, stderr } = await run(['build', '--help'], listModules);
    expect(code).toBe(0);
    const line = stderr.split('\n').find((l) => l.startsWith('MODULES '));
    const loaded = JSON.parse(line?.slice('MODULES '.length) ?? '[]') as string[];
    const ours = loaded.filter((u) => !u.endsWith('/bin/imgext.js'));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.length).toBeLessThan(20);
    for (const u of ours) expect(u).toContain('/apps/cli/dist/cli/');
  });

  it("a crash's stack trace names the TypeScript sources (mapped from the bundle's source maps)", async () => {
    // A stdout whose write throws: `--version` writes through it outside any catch, so the
    // error escapes main() and Node prints its stack.
    const { code, stderr } = await run(
      ['--version'],
      "process.stdout.write = () => { throw new TypeError('imgext-test: a bug'); };",
    );
    expect(code).not.toBe(0);
    expect(stderr).toContain('imgext-test: a bug');
    expect(stderr).toMatch(/apps\/cli\/src\/main\.ts:\d+:\d+/);
  });
});
