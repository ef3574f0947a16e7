/**
 * The run-image layout writer, side by side on the same extended image, rotating which goes first,
 * on every engine of $IMGEXT_TEST_ENGINES: the writer of a baseline git ref (BENCH_BASELINE,
 * default main: its packages/extender/src is extracted under packages/extender/node_modules/
 * .bench-baseline, so it resolves the same packages), this tree's two-pass reader (`read:
 * 'two-pass'`: a large entry it cannot identify by name is drained and the save read again for
 * it), this tree's single read (such entries spooled until the save's manifest names them) and
 * the same from a warm RunLayoutCache (a rebuild: the save is not read).
 * The extended image: the stack's run image plus two layers of 3,000 files each (~7 MB each,
 * above the 4 MB the scan keeps in memory), like the Debian bench's extensions. Stacks: busybox,
 * and debian where the engine has `imgext.local/stack/debian:run` (`tools/env stack debian E`).
 * Checks that both write the same layout, byte for byte. Not a test: nothing about time is asserted.
 *
 *   node --conditions=@imgext/source --import ./engine-client/register-ts.mjs run-layout/run.ts
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '@imgext/engine-client';
import {
  buildContext,
  CONTEXT_DOCKERFILE,
  directorySink,
  RunLayoutCache,
  type RunLayoutResult,
  writeRunLayout,
} from '@imgext/extender';

const here = dirname(fileURLToPath(import.meta.url));
const baselineRef = process.env.BENCH_BASELINE ?? 'main';
const baselineDir = join(
  here,
  '../../packages/extender/node_modules/.bench-baseline',
  baselineRef.replace(/[^\w.-]+/g, '_'),
);
await rm(baselineDir, { recursive: true, force: true });
await mkdir(baselineDir, { recursive: true });
execFileSync('sh', [
  '-c',
  'git -C "$1" archive "$2" packages/extender/src | tar -x -C "$3" --strip-components=2',
  'sh',
  join(here, '../..'),
  baselineRef,
  baselineDir,
]);
const baselineWrite = (
  (await import(join(baselineDir, 'src/layout/write-run-layout.ts'))) as {
    writeRunLayout: typeof writeRunLayout;
  }
).writeRunLayout;
type Mode = 'baseline' | 'two-pass' | 'single' | 'cached';
const modes: Mode[] = ['baseline', 'two-pass', 'single', 'cached'];
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const stacks = (process.env.BENCH_STACKS ?? 'busybox,debian').split(',');
const engines = (process.env.IMGEXT_TEST_ENGINES ?? `default=${process.env.DOCKER_HOST ?? ''}`)
  .split(',')
  .filter(
    (e) =>
      !process.env.BENCH_ENGINES || process.env.BENCH_ENGINES.split(',').includes(e.split('=')[0]!),
  )
  .map((e) => {
    const [name, ...host] = e.split('=');
    return { name: name!, host: host.join('=') };
  });

const files = (dir: string, seed: string) =>
  `mkdir -p ${dir} && cd ${dir} && i=0; while [ $i -lt 3000 ]; do ` +
  `head -c 2000 /dev/urandom > f$i; i=$((i+1)); done && echo ${seed} > seed`;

/** sha256 over the layout's file names and contents: equal digests mean byte-identical layouts. */
async function layoutDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string, prefix: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else hash.update(`${prefix}${e.name}\0`).update(await readFile(join(d, e.name)));
    }
  };
  await walk(dir, '');
  return hash.digest('hex');
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const rows: string[] = [];
for (const { name, host } of engines) {
  const engine = new EngineClient({ host });
  try {
    for (const stack of stacks) {
      const base = `imgext.local/stack/${stack}:run`;
      const baseInfo = await engine.images.find(base);
      if (!baseInfo) {
        console.log(`${name}: no ${base}, skipped`);
        continue;
      }
      const tag = `imgext-bench/run-layout-${stack}:latest`;
      await engine.images.build(
        buildContext({
          dockerfile: `FROM ${base}\nUSER root\nRUN ${files('/opt/a', 'a')}\nRUN ${files('/opt/b', 'b')}\nUSER 1000:1000\n`,
        }),
        { dockerfile: CONTEXT_DOCKERFILE, tags: [tag], networkMode: 'none' },
      );
      const baseInspect = await engine.images.inspect(base);
      const img = await engine.images.inspect(tag);
      const baseHistory = (await engine.images.history(base)).length;
      const times: Record<Mode, number[]> = {
        baseline: [],
        'two-pass': [],
        single: [],
        cached: [],
      };
      const cacheDir = await mkdtemp(join(tmpdir(), 'imgext-bench-layout-cache-'));
      const cache = new RunLayoutCache(cacheDir);
      const digests = new Set<string>();
      const info: Partial<Record<Mode, RunLayoutResult>> = {};
      for (let r = 0; r < rounds; r++) {
        const order = [...modes.slice(r % modes.length), ...modes.slice(0, r % modes.length)];
        for (const mode of order) {
          const dir = await mkdtemp(join(tmpdir(), 'imgext-bench-layout-'));
          try {
            const t0 = performance.now();
            const write = mode === 'baseline' ? baselineWrite : writeRunLayout;
            info[mode] = await write({
              engine,
              imageId: img.Id,
              baseLayerCount: baseInspect.RootFS.Layers?.length ?? 0,
              baseHistoryLength: baseHistory,
              attribution: [{ extension: 'bench/files', historyLength: 1e9 }],
              sink: directorySink(dir),
              ...(mode === 'baseline' ? {} : { read: mode === 'two-pass' ? mode : 'single' }),
              ...(mode === 'cached' ? { cache } : {}),
            });
            // The first cached run fills the cache (a cold build): not a rebuild's time.
            if (mode !== 'cached' || info.cached?.cached) times[mode].push(performance.now() - t0);
            digests.add(await layoutDigest(dir));
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        }
      }
      // One more warm round for the cache when its first round was the one that filled it.
      if (times.cached.length === 0) {
        const dir = await mkdtemp(join(tmpdir(), 'imgext-bench-layout-'));
        const t0 = performance.now();
        info.cached = await writeRunLayout({
          engine,
          imageId: img.Id,
          baseLayerCount: baseInspect.RootFS.Layers?.length ?? 0,
          baseHistoryLength: baseHistory,
          attribution: [{ extension: 'bench/files', historyLength: 1e9 }],
          sink: directorySink(dir),
          cache,
        });
        times.cached.push(performance.now() - t0);
        digests.add(await layoutDigest(dir));
        await rm(dir, { recursive: true, force: true });
      }
      await rm(cacheDir, { recursive: true, force: true });
      const [old, two, now, warm] = modes.map((m) => median(times[m]));
      const s = (ms: number) => (ms / 1000).toFixed(2);
      const row = `| ${name} | ${stack} | ${s(old!)} (${info.baseline!.passes}) | ${s(two!)} (${info['two-pass']!.passes}) | ${s(now!)} (${info.single!.passes}, ${info.single!.spooled ?? 0} spooled${info.single!.stoppedEarly ? ', stopped early' : ''}) | ${(old! / now!).toFixed(2)}x | ${s(warm!)} (${info.cached!.passes}) | ${(old! / warm!).toFixed(2)}x | ${digests.size === 1 ? 'yes' : `NO (${digests.size})`} |`;
      console.log(row);
      rows.push(row);
    }
  } finally {
    await engine.close();
  }
}
const md = `# Run-image layout: this tree against ${baselineRef}

Written by \`bench/run-layout/run.ts\` (${rounds} rounds, rotating the order, medians, seconds; in
brackets the daemon saves read and the entries spooled). The extended image: the stack's run image
plus two layers of 3,000 files. "ratio": ${baselineRef} over single; "cached": a rebuild's layout
from a warm RunLayoutCache, and ${baselineRef} over it. "same": whether all wrote byte-identical
layouts.

| engine | stack | ${baselineRef} (reads) | two-pass (reads) | single (reads, spooled) | ratio | cached (reads) | ratio | same |
| ------ | ----- | ------------ | ---------------- | ----------------------- | ----- | -------------- | ----- | ---- |
${rows.join('\n')}
`;
console.log(md);
if (!process.env.BENCH_ENGINES) {
  await mkdir(join(here, '../results'), { recursive: true });
  await writeFile(join(here, '../results/run-layout.md'), md);
}
