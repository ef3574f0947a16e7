/**
 * pack vs imgext, side by side on the same daemon: `pnpm --filter @imgext/bench bench:pack`
 * (or `bash bench/pack/run`). See bench/README.md and docs/benchmarks.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkEquivalence, type Equivalence } from './equivalence.js';
import {
  type RunResult,
  renderFailures,
  renderPhases,
  renderTable,
  summarize,
  type Tool,
} from './summary.js';
import { renderSvg } from './svg.js';
import { imgextTimings, packTimings, type StampedLine, type Timings } from './timings.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const cache = process.env.IMGEXT_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'imgext');
const registry = process.env.IMGEXT_REGISTRY;
if (!registry && !process.argv.includes('--report')) {
  console.error(
    'bench:pack: IMGEXT_REGISTRY is not set: run eval "$(tools/env up docker-26.1 docker-26.1-classic)" first',
  );
  process.exit(2);
}

/** Scenario name -> BENCH_EXTENSIONS words. */
const SCENARIOS: Record<string, string> = {
  'build-1': 'b1',
  'build-3': 'b1 b2 b3',
  'build-5': 'b1 b2 b3 b4 b5',
  'run-1': 'r1',
  'run-3': 'r1 r2 r3',
  'run-5': 'r1 r2 r3 r4 r5',
  'both-1': 'b1 r1',
  'both-3': 'b1 b2 b3 r1 r2 r3',
  'both-5': 'b1 b2 b3 b4 b5 r1 r2 r3 r4 r5',
  'build-switch-run': 'b1 switch r1',
};

interface Options {
  engines: string[];
  stacks: string[];
  modes: ('daemon' | 'publish')[];
  scenarios: string[];
  temperatures: ('cold' | 'warm')[];
  rounds: number;
  out: string;
  timeoutMs: number;
  /** Also update docs/benchmarks.md (between its markers) and docs/benchmarks.svg. */
  docs: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    engines: ['docker-26.1-classic', 'docker-26.1'],
    stacks: ['busybox'],
    modes: ['daemon', 'publish'],
    scenarios: Object.keys(SCENARIOS),
    temperatures: ['cold', 'warm'],
    rounds: 3,
    out: join(here, '..', 'results', 'pack'),
    timeoutMs: 240_000,
    docs: false,
  };
  const list = (v: string | undefined) => (v ?? '').split(',').filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const next = argv[++i];
      if (next === undefined) usage(`${a} needs a value`);
      return next;
    };
    if (a === '--quick') {
      o.engines = ['docker-26.1-classic'];
      o.modes = ['daemon'];
      o.scenarios = ['both-1', 'build-switch-run'];
      o.rounds = 1;
    } else if (a === '--engines') o.engines = list(v());
    else if (a === '--stacks') o.stacks = list(v());
    else if (a === '--modes') o.modes = list(v()) as Options['modes'];
    else if (a === '--scenarios') o.scenarios = list(v());
    else if (a === '--cache') o.temperatures = list(v()) as Options['temperatures'];
    else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '--out') o.out = v();
    else if (a === '--docs') o.docs = true;
    else usage(`unknown argument ${a}`);
  }
  for (const s of o.scenarios)
    if (!(s in SCENARIOS)) usage(`unknown scenario ${s} (${Object.keys(SCENARIOS).join(', ')})`);
  for (const m of o.modes) if (m !== 'daemon' && m !== 'publish') usage(`unknown mode ${m}`);
  for (const t of o.temperatures)
    if (t !== 'cold' && t !== 'warm') usage(`unknown cache state ${t}`);
  if (!(o.rounds >= 1)) usage('--rounds must be >= 1');
  return o;
}

function usage(message: string): never {
  console.error(`bench:pack: ${message}
usage: bench/pack/run [--quick] [--engines a,b] [--stacks busybox,debian] [--modes daemon,publish]
                      [--scenarios ${Object.keys(SCENARIOS).join(',')}] [--cache cold,warm] [--rounds N] [--out DIR] [--docs]
       bench/pack/run --report A/results.jsonl,B/results.jsonl [--out DIR] [--docs]`);
  process.exit(2);
}

const log = (m: string) => process.stderr.write(`bench:pack: ${m}\n`);

interface Prepared {
  BUILDER: string;
  LIFECYCLE_IMAGE: string;
  RUN_IMAGE: string;
  RUN_ALT_IMAGE: string;
  PACK: string;
  PACK_HOME: string;
}

function prepare(engine: string, stack: string): Prepared {
  const r = spawnSync('bash', [join(here, 'prepare'), engine, stack], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`bench/pack/prepare ${engine} ${stack} failed`);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return out as unknown as Prepared;
}

const socket = (engine: string) => `unix://${join(cache, 'engines', engine, 'docker.sock')}`;

function docker(engine: string, args: string[], allowFail = false): string {
  const r = spawnSync('docker', args, {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_HOST: socket(engine) },
  });
  if (r.status !== 0 && !allowFail) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** kaniko/lifecycle log lines carry the cause of a failure: level=panic msg="...". */
function failureCause(lines: string[]): string | undefined {
  return lines.map((l) => /level=(?:panic|fatal|error) msg="([^"]+)"/.exec(l)?.[1]).find(Boolean);
}

interface Ran {
  ok: boolean;
  lines: StampedLine[];
  startEpochMs: number;
  endEpochMs: number;
  error?: string;
}

/** Runs a command, stamping each stdout+stderr line with its arrival; kills it after the timeout. */
function runStamped(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Ran> {
  return new Promise((resolve) => {
    const start = performance.now();
    const startEpochMs = Date.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const lines: StampedLine[] = [];
    const collect = (stream: NodeJS.ReadableStream) => {
      let buf = '';
      stream.on('data', (chunk: Buffer) => {
        const at = performance.now() - start;
        buf += chunk.toString('utf8');
        const parts = buf.split('\n');
        buf = parts.pop() ?? '';
        for (const line of parts) lines.push({ atMs: at, line });
      });
      stream.on('end', () => {
        if (buf) lines.push({ atMs: performance.now() - start, line: buf });
      });
    };
    collect(child.stdout!);
    collect(child.stderr!);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const endEpochMs = startEpochMs + (performance.now() - start);
      const ok = code === 0 && !timedOut;
      const ran: Ran = { ok, lines, startEpochMs, endEpochMs };
      if (!ok) {
        const cause = failureCause(lines.map((l) => l.line));
        const errs = lines
          .map((l) => l.line)
          .filter((l) => /error|panic|fail/i.test(l))
          .slice(-2)
          .map((l) => l.replace(/^\d{4}\/\d\d\/\d\d [\d:.]+ /, '').slice(0, 240));
        ran.error = timedOut
          ? `timed out after ${timeoutMs / 1000} s`
          : cause || errs.join(' / ') || `exit code ${code}`;
      }
      resolve(ran);
    });
  });
}

interface Target {
  engine: string;
  stack: string;
  mode: 'daemon' | 'publish';
  scenario: string;
  p: Prepared;
}

function appImage(t: Target, tool: Tool): string {
  const name = `bench-${tool}-${t.stack}-${t.scenario}`;
  return t.mode === 'publish'
    ? `${registry}/imgext-bench/${t.engine}/${name}:latest`
    : `${name}:latest`;
}

const imgextBin = join(repo, 'apps', 'cli', 'bin', 'imgext.js');
const appDir = join(here, 'fixture', 'app');

async function build(t: Target, tool: Tool, clear: boolean, timeoutMs: number): Promise<Ran> {
  const image = appImage(t, tool);
  const words = SCENARIOS[t.scenario]!;
  const env = { ...process.env, DOCKER_HOST: socket(t.engine), TZ: 'UTC' };
  if (tool === 'pack') {
    const args = [
      'build',
      image,
      '--builder',
      t.p.BUILDER,
      '--pull-policy',
      'always',
      '--lifecycle-image',
      t.p.LIFECYCLE_IMAGE,
      '--docker-host',
      'inherit',
      '--network',
      'host',
      '--insecure-registry',
      registry!,
      '-p',
      appDir,
      '-e',
      `BENCH_EXTENSIONS=${words}`,
      '-v',
      '--timestamps',
    ];
    if (t.mode === 'publish') args.push('--publish');
    if (clear) args.push('--clear-cache');
    return runStamped(
      t.p.PACK,
      args,
      { ...env, PACK_HOME: t.p.PACK_HOME, PACK_VOLUME_KEY: 'imgext-bench' },
      timeoutMs,
    );
  }
  const args = [
    imgextBin,
    '--json',
    'build',
    image,
    '--builder',
    t.p.BUILDER,
    '--lifecycle-image',
    t.p.LIFECYCLE_IMAGE,
    // As pack is given (its kaniko needs the registry on 127.0.0.1): the detect and build
    // containers on the host's network, so both tools run their buildpacks alike (imgext's
    // default, none, costs a network namespace per container, ~0.05-0.1 s each here).
    '--network',
    'host',
    '-p',
    appDir,
    '--env',
    `BENCH_EXTENSIONS=${words}`,
  ];
  if (t.mode === 'publish') args.push('--publish');
  if (clear) args.push('--clear-cache');
  return runStamped(process.execPath, args, env, timeoutMs);
}

function timingsOf(tool: Tool, ran: Ran): Timings {
  const total = ran.endEpochMs - ran.startEpochMs;
  return tool === 'pack'
    ? packTimings(
        ran.lines.map((l) => l.line),
        ran.startEpochMs,
        ran.endEpochMs,
      )
    : imgextTimings(
        ran.lines.filter((l) => l.line.startsWith('{')),
        total,
      );
}

/** Cold: no build cache of either tool, no cached extension results in the daemon. */
function makeCold(t: Target): void {
  docker(t.engine, ['builder', 'prune', '-af'], true);
  // pack's --clear-cache empties only its build cache: kaniko's layer cache is a volume of its
  // own (pack-cache-<key>.kaniko) that --clear-cache leaves, so a "cold" pack build would restore
  // every extension layer from it instead of running the Dockerfiles. A first build has none.
  const kaniko = docker(t.engine, ['volume', 'ls', '-q', '--filter', 'name=pack-cache-'], true)
    .split('\n')
    .filter((v) => v.endsWith('.kaniko'));
  if (kaniko.length) docker(t.engine, ['volume', 'rm', '-f', ...kaniko], true);
  const cached = docker(
    t.engine,
    ['images', '--format', '{{.Repository}}:{{.Tag}}', 'imgext.local/cache/*'],
    true,
  )
    .split('\n')
    .filter((r) => r.includes('imgext-bench'));
  if (cached.length) docker(t.engine, ['rmi', '-f', ...cached], true);
  settleDisk();
}

/**
 * Waits until the disk has carried out what the clean-up above queued (a filesystem mounted with
 * `discard` trims what was deleted, in the background): else the next build's file writes wait
 * behind it, and "cold" measures the clean-up of the round before (seen: the same 3,000-file RUN
 * took 0.23 s in one cold round and 2.77 s in the next). `sync` (ext4 trims at its journal's
 * commit), then the block devices' in-flight and discarded counts (/proc/diskstats) unchanged for
 * 0.5 s; at most 20 s.
 */
function settleDisk(): void {
  spawnSync('sync');
  const sample = (): string => {
    try {
      return (
        readFileSync('/proc/diskstats', 'utf8')
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((f) => /^(vd[a-z]+|sd[a-z]+|xvd[a-z]+|nvme\d+n\d+)$/.test(f[2] ?? ''))
          // in flight, discards completed (the daemons write all the time: writes never settle)
          .map((f) => `${f[11]}/${f[14] ?? ''}`)
          .join(' ')
      );
    } catch {
      return '';
    }
  };
  const deadline = Date.now() + 20_000;
  let last = sample();
  let stableSince = Date.now();
  while (Date.now() < deadline && Date.now() - stableSince < 500) {
    spawnSync('sleep', ['0.1']);
    const now = sample();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(o.out, { recursive: true });
  const results: RunResult[] = [];
  const equivalences: Equivalence[] = [];
  const rawPath = join(o.out, 'results.jsonl');
  const raw: string[] = [];
  const logs = join(o.out, 'logs');
  mkdirSync(logs, { recursive: true });
  for (const engine of o.engines) {
    for (const stack of o.stacks) {
      log(`preparing ${engine} (${stack})`);
      const p = prepare(engine, stack);
      for (const mode of o.modes) {
        for (const scenario of o.scenarios) {
          const t: Target = { engine, stack, mode, scenario, p };
          for (const temperature of o.temperatures) {
            const order: Tool[][] = [];
            for (let r = 0; r < o.rounds; r++)
              order.push(r % 2 === 0 ? ['pack', 'imgext'] : ['imgext', 'pack']);
            if (temperature === 'warm') {
              // One untimed build each, so the timed ones find a warm cache.
              for (const tool of ['pack', 'imgext'] as const)
                await build(t, tool, false, o.timeoutMs);
            }
            for (const [round, tools] of order.entries()) {
              for (const tool of tools) {
                if (temperature === 'cold') makeCold(t);
                const ran = await build(t, tool, temperature === 'cold', o.timeoutMs);
                const res: RunResult = {
                  engine,
                  stack,
                  mode,
                  scenario,
                  temperature,
                  tool,
                  round,
                  ok: ran.ok,
                };
                if (ran.error) res.error = ran.error;
                if (ran.ok) res.timings = timingsOf(tool, ran);
                results.push(res);
                raw.push(JSON.stringify(res));
                writeFileSync(rawPath, `${raw.join('\n')}\n`);
                const logName = `${engine}-${stack}-${mode}-${scenario}-${temperature}-${tool}-${round}.log`;
                writeFileSync(
                  join(logs, logName),
                  ran.lines.map((l) => `${l.atMs.toFixed(0)} ${l.line}`).join('\n'),
                );
                log(
                  `${engine} ${stack} ${mode} ${scenario} ${temperature} #${round} ${tool}: ${
                    ran.ok
                      ? `${(res.timings!.totalMs / 1000).toFixed(2)} s (extension ${(res.timings!.extendMs / 1000).toFixed(2)} s)`
                      : `FAILED: ${ran.error}`
                  }`,
                );
              }
            }
          }
          if (mode === 'daemon') {
            const bothOk = ['pack', 'imgext'].every((tool) =>
              results.some(
                (r) =>
                  r.engine === engine &&
                  r.stack === stack &&
                  r.mode === mode &&
                  r.scenario === scenario &&
                  r.tool === tool &&
                  r.ok,
              ),
            );
            if (bothOk) {
              const eq = checkEquivalence({
                key: `${engine} | ${stack} | ${scenario}`,
                docker: (args, allowFail) => docker(engine, args, allowFail),
                pack: appImage(t, 'pack'),
                imgext: appImage(t, 'imgext'),
              });
              equivalences.push(eq);
              raw.push(JSON.stringify({ ...eq, equivalence: true }));
              writeFileSync(rawPath, `${raw.join('\n')}\n`);
              log(
                `${eq.key}: ${eq.differences.length === 0 ? 'equivalent' : `DIFFERENT: ${eq.differences.join('; ')}`}`,
              );
            }
          }
        }
      }
    }
  }
  writeReport(o, results, equivalences);
}

/** The command line, with result files named by their run folder (no home paths in the doc). */
function shownArgs(): string {
  return process.argv
    .slice(2)
    .map((a) =>
      a.includes('/')
        ? a
            .split(',')
            .map((f) => `${basename(dirname(f))}/${basename(f)}`)
            .join(',')
        : a,
    )
    .join(' ');
}

function writeReport(o: Options, results: RunResult[], equivalences: Equivalence[]): void {
  const groups = summarize(results);
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const eqLines = equivalences.map(
    (e) =>
      `- ${e.key}: ${e.differences.length === 0 ? 'same' : e.differences.map((d) => `**${d}**`).join('; ')} (checked: ${e.checked.join(', ')})`,
  );
  const md = `# pack vs imgext: results

Generated by \`bash bench/pack/run ${shownArgs()}\` on ${when}: ${o.rounds} alternating round(s) per
cell; seconds, median (min–max); ratio = pack median / imgext median (> 1: imgext faster).
"extension" = the longest extender (both tools run the build and run extensions in parallel):
pack's lifecycle \`Timer: Extender ran for\`, imgext's extend-build / extend-run branch.

![chart](results.svg)

## Time to image and extension work

${renderTable(groups)}
## Per phase (medians, seconds)

setup = start to the first phase (pulls, volumes, app upload); extend + build = restore's end to
export's start.

${renderPhases(groups)}
## Failures

${renderFailures(groups)}
## Equivalence (daemon mode, the last images of each scenario)

${eqLines.join('\n') || 'not checked'}
`;
  writeFileSync(join(o.out, 'results.md'), md);
  const svg = renderSvg(groups, 'pack vs imgext: median time to image');
  writeFileSync(join(o.out, 'results.svg'), svg);
  if (o.docs) {
    // docs/benchmarks.md keeps its prose; the generated part sits between the markers.
    const docPath = join(repo, 'docs', 'benchmarks.md');
    const doc = readFileSync(docPath, 'utf8');
    const begin = '<!-- bench:pack results begin -->';
    const end = '<!-- bench:pack results end -->';
    const a = doc.indexOf(begin);
    const b = doc.indexOf(end);
    if (a >= 0 && b > a) {
      const body = md
        .replace(/^# .*\n/, '')
        .replace('![chart](results.svg)', '![chart](benchmarks.svg)')
        .replace(/^## /gm, '### ');
      writeFileSync(docPath, `${doc.slice(0, a + begin.length)}\n${body}\n${doc.slice(b)}`);
      writeFileSync(join(repo, 'docs', 'benchmarks.svg'), svg);
      log(`updated ${docPath} and docs/benchmarks.svg`);
    }
  }
  log(`wrote ${join(o.out, 'results.md')} and results.svg`);
}

const reportIdx = process.argv.indexOf('--report');
if (reportIdx > 0) {
  // Re-render from earlier runs: --report a/results.jsonl,b/results.jsonl [--out DIR]
  const files = (process.argv[reportIdx + 1] ?? '').split(',').filter(Boolean);
  const outIdx = process.argv.indexOf('--out');
  const out = outIdx > 0 ? process.argv[outIdx + 1]! : join(here, '..', 'results', 'pack');
  const results: RunResult[] = [];
  const eqs: Equivalence[] = [];
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n').filter(Boolean)) {
      const v = JSON.parse(line) as RunResult | (Equivalence & { equivalence: true });
      if ('equivalence' in v) {
        // A later check of the same cell replaces an earlier one (files in the order given).
        const at = eqs.findIndex((e) => e.key === v.key);
        if (at >= 0) eqs.splice(at, 1);
        eqs.push(v);
      } else {
        // Older runs kept the last error line: take the cause from the run's log when it has one.
        if (!v.ok) {
          const name = [v.engine, v.stack, v.mode, v.scenario, v.temperature, v.tool, v.round];
          const logFile = join(dirname(f), 'logs', `${name.join('-')}.log`);
          const cause = existsSync(logFile)
            ? failureCause(readFileSync(logFile, 'utf8').split('\n'))
            : undefined;
          if (cause) v.error = cause;
        }
        results.push(v);
      }
    }
  }
  mkdirSync(out, { recursive: true });
  writeReport(
    {
      rounds: Math.max(1, ...results.map((r) => r.round + 1)),
      out,
      docs: process.argv.includes('--docs'),
    } as Options,
    results,
    eqs,
  );
} else {
  await main();
}
