/**
 * How long the CLI takes to start: `imgext --version`, `imgext --help` and `imgext build --help`
 * (the one command loaded), against the floor, `node -e 0`, each run as a fresh process from the
 * built CLI (apps/cli/bin/imgext.js, `pnpm --filter imgext... build` first), interleaved, 20
 * rounds (BENCH_ROUNDS), medians, wall time. BENCH_CLI_BASELINE=path/to/bin/imgext.js adds the
 * same commands of another build side by side (e.g. a copy of an earlier dist and bin, placed
 * under apps/cli/node_modules/ so that it resolves the same packages). Not a test.
 *
 *   node --conditions=@imgext/source --import ./engine-client/register-ts.mjs cli-start/run.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.BENCH_CLI_BIN ?? join(here, '../../apps/cli/bin/imgext.js');
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const baseline = process.env.BENCH_CLI_BASELINE;
const commandsOf = (label: string, path: string): Array<[string, string[]]> => [
  [`${label}imgext --version`, [path, '--version']],
  [`${label}imgext --help`, [path, '--help']],
  [`${label}imgext build --help`, [path, 'build', '--help']],
];
const cases: Array<[string, string[]]> = [
  ['node -e 0 (floor)', ['-e', '0']],
  ...(baseline ? commandsOf('baseline: ', baseline) : []),
  ...commandsOf('', bin),
];
const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, args] of r % 2 ? [...cases].reverse() : cases) {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = performance.now() - t0;
    if (res.status !== 0) throw new Error(`${name} exited ${res.status}: ${res.stderr}`);
    times.get(name)!.push(ms);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floor = median(times.get(cases[0]![0])!);
const rows = cases.map(([name]) => {
  const m = median(times.get(name)!);
  const min = Math.min(...times.get(name)!);
  return `| ${name} | ${(m / 1000).toFixed(3)} | ${(min / 1000).toFixed(3)} | ${(m / floor).toFixed(2)}x |`;
});
const md = `# CLI start

Written by \`bench/cli-start/run.ts\` (${rounds} interleaved rounds, fresh processes, seconds,
Node ${process.version}). "x floor": the median over \`node -e 0\`'s.

| command | median | min | x floor |
| ------- | ------ | --- | ------- |
${rows.join('\n')}
`;
console.log(md);
if (!process.env.BENCH_NO_WRITE) {
  await mkdir(join(here, '../results'), { recursive: true });
  // The dated sections below the table (build-start.ts's runs, written by hand) are kept.
  const file = join(here, '../results/cli-start.md');
  const old = await readFile(file, 'utf8').catch(() => '');
  const kept = old.indexOf('\n## ');
  await writeFile(file, kept < 0 ? md : `${md}${old.slice(kept)}`);
}
