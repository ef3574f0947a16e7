/**
 * How long imgext takes before its first lifecycle phase, on a tiny build: `imgext --version`
 * (process start to exit), then `imgext build … --json --timestamps` of the sample app with the
 * sample builder (busybox stack), warm (one untimed build first), each a fresh process: the time
 * from the spawn to the first `phase.start` event's timestamp, and to the process's exit.
 * BENCH_CLI_BASELINE=path/to/bin/imgext.js runs another build of the CLI side by side (e.g. a
 * copy of an earlier checkout, built), alternating which goes first. 10 rounds (BENCH_ROUNDS),
 * medians and min-max, seconds. Against `DOCKER_HOST`; BENCH_NODE runs the CLI with another node
 * binary (e.g. a Node 22, for its compile cache). Not a test.
 *
 *   node --conditions=@imgext/source --import ./engine-client/register-ts.mjs cli-start/build-start.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../..');
const bin = process.env.BENCH_CLI_BIN ?? join(repo, 'apps/cli/bin/imgext.js');
const baseline = process.env.BENCH_CLI_BASELINE;
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const node = process.env.BENCH_NODE ?? process.execPath;
const builder = process.env.IMGEXT_SAMPLE_BUILDER ?? 'imgext.local/sample/builder:latest';
const image = 'imgext-test/cli-start-bench:latest';
const buildArgs = [
  'build',
  image,
  '-B',
  builder,
  '-p',
  join(repo, 'tools/sample/app'),
  '--trust-builder',
  '--json',
  '--timestamps',
];

interface Sample {
  version: number;
  firstPhase: number;
  total: number;
}

function version(path: string): number {
  const t0 = performance.now();
  const res = spawnSync(node, [path, '--version'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (res.status !== 0) throw new Error(`--version exited ${res.status}: ${res.stderr}`);
  return (performance.now() - t0) / 1000;
}

function build(path: string): Promise<{ firstPhase: number; total: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const p0 = performance.now();
    const child = spawn(node, [path, ...buildArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const total = (performance.now() - p0) / 1000;
      if (code !== 0) return reject(new Error(`build exited ${code}: ${err}${out.slice(-2000)}`));
      const first = out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; time?: string })
        .find((e) => e.type === 'phase.start');
      if (!first?.time) return reject(new Error('no phase.start event with a time'));
      resolve({ firstPhase: (Date.parse(first.time) - t0) / 1000, total });
    });
  });
}

const cases: Array<[string, string]> = [
  ...(baseline ? ([['baseline', baseline]] as Array<[string, string]>) : []),
  ['this', bin],
];
const samples = new Map<string, Sample[]>(cases.map(([name]) => [name, []]));
for (const [, path] of cases) await build(path); // warm: the caches and the images exist
for (let r = 0; r < rounds; r++) {
  for (const [name, path] of r % 2 ? [...cases].reverse() : cases) {
    const v = version(path);
    const b = await build(path);
    samples.get(name)!.push({ version: v, ...b });
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cell = (xs: number[]) =>
  `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const rows = cases.map(([name]) => {
  const s = samples.get(name)!;
  return `| ${name} | ${cell(s.map((x) => x.version))} | ${cell(s.map((x) => x.firstPhase))} | ${cell(s.map((x) => x.total))} |`;
});
const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`${rounds} rounds, Node ${nodeVersion}, DOCKER_HOST=${process.env.DOCKER_HOST ?? ''}

| CLI | imgext --version | start → first phase | whole build |
| --- | ---------------- | ------------------- | ----------- |
${rows.join('\n')}
`);
