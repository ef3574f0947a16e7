// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax
/**
 * The extender's builders side by side: imgext's classic backend, imgext's BuildKit backend and
 * `docker buildx build` (Debian trixie's docker CLI + buildx, docker driver) on the same daemon,
 * applying the same chain of N build Dockerfiles (each result the next base), cold and warm,
 * alternating which tool goes first. Run through `bash bench/extender/builders` (see
 * bench/README.md and docs/extender.md), which sets BENCH_DOCKER and DOCKER_CONFIG.
 *
 * Not a test: it asserts nothing. It writes results/extender-builders.{md,jsonl} and, with
 * --docs, the table in docs/extender.md between its markers.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EngineClient } from '@imgext/engine-client';
import {
  type BuilderKind,
  buildContext,
  CONTEXT_DOCKERFILE,
  type ExtenderEvent,
  extend,
  retireSuperseded,
} from '@imgext/extender';
import {
  type Phases,
  type ReportMeta,
  renderReport,
  type Sample,
  TOOLS,
  type Tool,
} from './report.js';

const exec = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const cache = process.env.IMGEXT_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'imgext');

interface Options {
  engines: string[];
  stacks: string[];
  ns: number[];
  rounds: number;
  tools: Tool[];
  prune: boolean;
  out: string;
  docs: boolean;
  files: number;
  /** Re-render from earlier runs' results.jsonl files; builds nothing. */
  report: string[];
}

const USAGE = `usage: bash bench/extender/builders [--engines docker-26.1,docker-26.1-classic]
  [--stacks busybox,debian] [--n 1,3,5] [--rounds 3] [--tools classic,buildkit,buildx]
  [--files 3000] [--no-prune] [--out DIR] [--docs]
       bash bench/extender/builders --report A.jsonl,B.jsonl [--out DIR] [--docs]`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    engines: ['docker-26.1', 'docker-26.1-classic'],
    stacks: ['busybox'],
    ns: [1, 3, 5],
    rounds: 3,
    tools: [...TOOLS],
    prune: true,
    out: join(here, '..', 'results'),
    docs: false,
    files: 3000,
    report: [],
  };
  const list = (v: string | undefined, flag: string) => {
    if (!v) usage(`${flag} needs a value`);
    return v.split(',').filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => argv[++i];
    if (a === '--engines') o.engines = list(v(), a);
    else if (a === '--stacks') o.stacks = list(v(), a);
    else if (a === '--n') o.ns = list(v(), a).map(Number);
    else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '--files') o.files = Number(v());
    else if (a === '--tools') o.tools = list(v(), a) as Tool[];
    else if (a === '--no-prune') o.prune = false;
    else if (a === '--out') o.out = v() ?? usage('--out needs a value');
    else if (a === '--docs') o.docs = true;
    else if (a === '--report') o.report = list(v(), a);
    else usage(`unknown option ${a}`);
  }
  for (const s of o.stacks) if (s !== 'busybox' && s !== 'debian') usage(`unknown stack ${s}`);
  for (const t of o.tools) if (!TOOLS.includes(t)) usage(`unknown tool ${t}`);
  if (o.ns.some((n) => !Number.isInteger(n) || n < 1)) usage('--n takes positive integers');
  if (!Number.isInteger(o.rounds) || o.rounds < 1) usage('--rounds takes a positive integer');
  return o;
}

function usage(message: string): never {
  console.error(`bench:extender-builders: ${message}\n${USAGE}`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const docker = process.env.BENCH_DOCKER;
const dockerConfig = process.env.DOCKER_CONFIG;
if (opts.report.length === 0 && opts.tools.includes('buildx') && (!docker || !dockerConfig)) {
  usage('BENCH_DOCKER and DOCKER_CONFIG are not set: run it through bash bench/extender/builders');
}
const engineHosts = new Map(
  (process.env.IMGEXT_TEST_ENGINES ?? '').split(',').map((kv) => kv.split('=') as [string, string]),
);
const nonce = randomUUID().slice(0, 8);
const RUN_LABEL = 'imgext-bench.run';
const TOOL_LABEL = 'imgext-bench.tool';
const STACK_IMAGES: Record<string, string> = {
  busybox: process.env.IMGEXT_STACK_BUILD_IMAGE ?? 'imgext.local/stack/busybox:build',
  debian: 'imgext.local/stack/debian:build',
};
const debs = join(cache, 'bench-pack', 'debs');
const dirs: string[] = [];
const engines = new Map<string, EngineClient>();

/** The bench's Dockerfile i: the bench/pack fixture's build extension, salted per round. */
function dockerfile(i: number, salt: string, stack: string, withDebs: boolean): string {
  const lines = [
    'ARG base_image',
    'FROM ${base_image}',
    'ARG user_id',
    'ARG group_id',
    'USER root',
    `RUN mkdir -p /etc/bench-build && echo "build extension ${i} ${salt}" >/etc/bench-build/ext-${i}`,
  ];
  if (withDebs) {
    lines.push(
      'COPY debs/ /tmp/bench-debs/',
      'RUN dpkg -i /tmp/bench-debs/*.deb >/dev/null && rm -rf /tmp/bench-debs',
    );
  }
  if (stack === 'debian' && opts.files > 0) {
    lines.push(
      `RUN mkdir -p /opt/bench-build-${i} && cd /opt/bench-build-${i} && i=0 && while [ $i -lt ${opts.files} ]; do echo "build ${i} file $i" >f$i; i=$((i+1)); done`,
    );
  }
  lines.push('USER ${user_id}:${group_id}', '');
  return lines.join('\n');
}

const extId = (i: number) => `bench/e${i}`;
const extDir = (i: number) => `bench_e${i}`;

/** A platform-0.13 generated folder with N build Dockerfiles (context.build beside each). */
async function generated(n: number, salt: string, stack: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'imgext-bench-builders-'));
  dirs.push(dir);
  for (let i = 0; i < n; i++) {
    const withDebs = stack === 'debian' && i === 0 && existsSync(debs);
    const d = join(dir, extDir(i));
    await mkdir(join(d, 'context.build'), { recursive: true });
    if (withDebs) await cp(debs, join(d, 'context.build', 'debs'), { recursive: true });
    await writeFile(join(d, 'build.Dockerfile'), dockerfile(i, salt, stack, withDebs));
  }
  return dir;
}

function engineFor(name: string): EngineClient {
  let e = engines.get(name);
  if (!e) {
    const host = engineHosts.get(name);
    if (!host) usage(`engine ${name} is not up (IMGEXT_TEST_ENGINES has no ${name})`);
    e = new EngineClient({ host, ...(dockerConfig ? { configDir: dockerConfig } : {}) });
    engines.set(name, e);
  }
  return e;
}

/** One labelled base per (engine, stack, tool), so tools share no cache and counts stay apart. */
async function makeBase(engine: EngineClient, stack: string, tool: Tool): Promise<string> {
  const tag = `imgext-bench/builders-${nonce}:${stack}-${tool}-base`;
  await engine.images.build(
    buildContext({
      dockerfile: `FROM ${STACK_IMAGES[stack]}\nLABEL ${RUN_LABEL}=${nonce} ${TOOL_LABEL}=${nonce}-${stack}-${tool}\n`,
    }),
    { dockerfile: CONTEXT_DOCKERFILE, tags: [tag], networkMode: 'none' },
  );
  return tag;
}

interface RunOutcome {
  ms: number;
  /** imgext: the chain's time split by its events, summed over the Dockerfiles. */
  phases?: Phases;
  /** Untimed follow-up (imgext: retireSuperseded, as imgext build does it off the critical path). */
  afterMs?: number;
}

async function viaImgext(
  engine: EngineClient,
  builder: BuilderKind,
  dir: string,
  n: number,
  base: string,
): Promise<RunOutcome> {
  const split = phaseClock();
  const t = performance.now();
  const result = await extend({
    onEvent: split.onEvent,
    engine,
    kind: 'build',
    generatedDir: dir,
    platformApi: '0.13',
    order: Array.from({ length: n }, (_, i) => extId(i)),
    baseImage: base,
    networkMode: 'none',
    builder,
  });
  const ms = performance.now() - t;
  const r = performance.now();
  if (result.superseded.length > 0) await retireSuperseded(engine, result);
  return { ms, afterMs: performance.now() - r, phases: split.phases() };
}

/**
 * Where a chain's time goes, from the extender's events (stamped on arrival): before a
 * Dockerfile's first step or vertex event (context, session, base tag, frontend), from the first
 * to the last one (the steps), and after the last one to `extension.applied` (the build's end,
 * the result's inspect, the base tag's removal); `between` is the rest (the chain's own work
 * before and between Dockerfiles).
 */
function phaseClock(): { onEvent: (e: ExtenderEvent) => void; phases: () => Phases } {
  const t0 = performance.now();
  const p: Phases = { before: 0, steps: 0, after: 0, between: 0 };
  let start: number | undefined;
  let first: number | undefined;
  let last: number | undefined;
  let end = t0;
  return {
    onEvent(e) {
      const now = performance.now();
      if (e.type === 'extension.start') {
        p.between += now - end;
        start = now;
        first = last = undefined;
      } else if (
        e.type === 'extension.step' ||
        e.type === 'extension.vertex' ||
        e.type === 'extension.output'
      ) {
        first ??= now;
        last = now;
      } else if (e.type === 'extension.applied' && start !== undefined) {
        p.before += (first ?? now) - start;
        p.steps += (last ?? now) - (first ?? now);
        p.after += now - (last ?? now);
        end = now;
      }
    },
    phases: () => ({ ...p }),
  };
}

/** `docker buildx build` per Dockerfile, each FROM the previous result by tag. */
async function viaBuildx(
  engine: EngineClient,
  host: string,
  dir: string,
  n: number,
  base: string,
  stack: string,
): Promise<RunOutcome> {
  const env = {
    ...process.env,
    DOCKER_HOST: host,
    DOCKER_CONFIG: dockerConfig,
    BUILDX_NO_DEFAULT_ATTESTATIONS: '1',
  };
  const t = performance.now();
  let current = base;
  for (let i = 0; i < n; i++) {
    // The lifecycle's user_id/group_id: the current image's User, as imgext derives them.
    const user = (await engine.images.inspect(current)).Config?.User ?? '';
    const [uid, gid] = user.split(':');
    const tag = `imgext-bench/builders-${nonce}:${stack}-buildx-e${i}`;
    await exec(
      docker!,
      [
        'buildx',
        'build',
        '--quiet',
        '--network',
        'none',
        '--build-arg',
        `base_image=${current}`,
        '--build-arg',
        `build_id=${randomUUID()}`,
        '--build-arg',
        `user_id=${uid || '0'}`,
        '--build-arg',
        `group_id=${gid || uid || '0'}`,
        '--tag',
        tag,
        '--file',
        join(dir, extDir(i), 'build.Dockerfile'),
        join(dir, extDir(i), 'context.build'),
      ],
      { env, maxBuffer: 16 << 20 },
    );
    current = tag;
  }
  return { ms: performance.now() - t };
}

/** POST /build/prune?all=1: BuildKit's whole cache on that daemon (shared: other builds slow, none break). */
async function pruneBuildkit(host: string): Promise<void> {
  await exec(docker!, ['builder', 'prune', '--all', '--force'], {
    env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: dockerConfig },
    maxBuffer: 16 << 20,
  });
}

/** Images the tool left without a tag: `dangling=true`, and all untagged ones (`-a`, hidden parents too). */
async function leftBehind(
  engine: EngineClient,
  stack: string,
  tool: Tool,
): Promise<{ dangling: number; untagged: number }> {
  const label = [`${TOOL_LABEL}=${nonce}-${stack}-${tool}`];
  const dangling = await engine.images.list({ filters: { label, dangling: ['true'] } });
  const all = await engine.images.list({ all: true, filters: { label } });
  const untagged = all.filter(
    (i) => !i.RepoTags || i.RepoTags.length === 0 || i.RepoTags.every((t) => t === '<none>:<none>'),
  );
  return { dangling: dangling.length, untagged: untagged.length };
}

async function cleanup(): Promise<void> {
  for (const [name, engine] of engines) {
    const mine = () =>
      engine.images
        .list({ all: true, filters: { label: [`${RUN_LABEL}=${nonce}`] } })
        .catch(() => []);
    for (let pass = 0; pass < 6; pass++) {
      const images = await mine();
      if (images.length === 0) break;
      images.sort((a, b) => b.Created - a.Created);
      // Newest first (children before parents); 8 at a time on the first pass, one by one after
      // it (a parent removed alongside its child can lose the race).
      const width = pass === 0 ? 8 : 1;
      for (let i = 0; i < images.length; i += width) {
        await Promise.all(
          images
            .slice(i, i + width)
            .map((img) => engine.images.remove(img.Id, { force: true }).catch(() => undefined)),
        );
      }
    }
    const left = await mine();
    if (left.length > 0) {
      console.error(
        `bench:extender-builders: ${left.length} image(s) left in ${name}: docker images -aq --filter label=${RUN_LABEL}=${nonce}`,
      );
    }
    await engine.close();
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}

let stopping = false;
process.on('SIGINT', () => {
  if (stopping) process.exit(130);
  stopping = true;
  console.error(
    '\nbench:extender-builders: interrupted, removing what it built (Ctrl-C again to leave it)',
  );
  cleanup().finally(() => process.exit(130));
});

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string; name?: string };
  const text = (e.stderr?.trim() || e.message || String(err)).split('\n').filter(Boolean);
  return `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${text.at(-1) ?? ''}`.slice(0, 200);
}

async function main(): Promise<void> {
  const started = new Date();
  const jsonl = join(opts.out, 'extender-builders.jsonl');
  await mkdir(opts.out, { recursive: true });
  writeFileSync(jsonl, '');
  const samples: Sample[] = [];
  const record = (s: Sample) => {
    samples.push(s);
    appendFileSync(jsonl, `${JSON.stringify(s)}\n`);
    const what = s.error ? `failed: ${s.error}` : `${(s.ms! / 1000).toFixed(2)}s`;
    console.error(
      `${s.engine} ${s.stack} N=${s.n} ${s.cache} ${s.tool} r${s.round}: ${what}` +
        (s.left ? ` (left: ${s.left.dangling} dangling, ${s.left.untagged} untagged)` : ''),
    );
  };
  const bases = new Map<string, string>();
  for (const name of opts.engines) {
    const engine = engineFor(name);
    for (const stack of opts.stacks) {
      if (!(await engine.images.find(STACK_IMAGES[stack]!))) {
        usage(
          `engine ${name} has no ${STACK_IMAGES[stack]} (busybox: tools/env up ${name}; debian: tools/env stack debian ${name})`,
        );
      }
      for (const tool of opts.tools)
        bases.set(`${name}/${stack}/${tool}`, await makeBase(engine, stack, tool));
    }
  }
  const broken = new Map<string, string>();
  let turn = 0;
  for (let round = 0; round < opts.rounds; round++) {
    for (const name of opts.engines) {
      const engine = engineFor(name);
      const host = engineHosts.get(name)!;
      for (const stack of opts.stacks) {
        for (const n of opts.ns) {
          const salt = `${nonce}-${round}-${n}`;
          const dir = await generated(n, salt, stack);
          // Rotate who goes first: every tool is first, second and third equally often.
          const order = opts.tools.map((_, i) => opts.tools[(i + turn) % opts.tools.length]!);
          turn++;
          for (const tool of order) {
            const key = `${name}/${stack}/${tool}`;
            const base = bases.get(key)!;
            const meta = { engine: name, stack, n, tool, round } as const;
            if (broken.has(key)) {
              record({ ...meta, cache: 'cold', error: broken.get(key)! });
              continue;
            }
            if (opts.prune && tool !== 'classic') await pruneBuildkit(host);
            const run = () =>
              tool === 'buildx'
                ? viaBuildx(engine, host, dir, n, base, stack)
                : viaImgext(engine, tool, dir, n, base);
            for (const cache of ['cold', 'warm'] as const) {
              try {
                const r = await run();
                const left = cache === 'warm' ? await leftBehind(engine, stack, tool) : undefined;
                record({
                  ...meta,
                  cache,
                  ms: r.ms,
                  ...(r.afterMs !== undefined ? { afterMs: r.afterMs } : {}),
                  ...(r.phases ? { phases: r.phases } : {}),
                  ...(left ? { left } : {}),
                });
              } catch (err) {
                const message = firstLine(err);
                record({ ...meta, cache, error: message });
                // A tool that cannot build at all (e.g. BuildKit not wired yet) fails once per key.
                if (cache === 'cold') broken.set(key, message);
                break;
              }
            }
          }
        }
      }
    }
  }
  const meta: ReportMeta = {
    started,
    finished: new Date(),
    rounds: opts.rounds,
    files: opts.files,
    prune: opts.prune,
    versions: await versions(),
  };
  appendFileSync(jsonl, `${JSON.stringify({ meta })}\n`);
  publish(samples, [meta]);
}

function publish(samples: Sample[], metas: ReportMeta[]): void {
  const report = renderReport(samples, metas);
  writeFileSync(join(opts.out, 'extender-builders.md'), report.markdown);
  console.log(`\n${report.markdown}`);
  if (opts.docs) writeDocs(report.docs);
}

/** --report: the samples and run descriptions of earlier runs, rendered together. */
async function rerender(files: string[]): Promise<void> {
  const samples: Sample[] = [];
  const metas: ReportMeta[] = [];
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n').filter(Boolean)) {
      const x = JSON.parse(line);
      if (x.meta) {
        metas.push({
          ...x.meta,
          started: new Date(x.meta.started),
          finished: new Date(x.meta.finished),
        });
      } else samples.push(x as Sample);
    }
  }
  await mkdir(opts.out, { recursive: true });
  publish(samples, metas);
}

async function versions(): Promise<string> {
  const parts: string[] = [];
  for (const [name, engine] of engines) {
    const v = await engine.version();
    const store = (await engine.info()).DriverStatus?.some(([k]) => /driver-type/i.test(k))
      ? 'containerd store'
      : 'overlay2';
    parts.push(`${name}: Docker ${v.Version} (${store})`);
  }
  if (docker) {
    const { stdout } = await exec(docker, ['buildx', 'version'], {
      env: { ...process.env, DOCKER_CONFIG: dockerConfig },
    });
    parts.push(`buildx ${stdout.trim().split(' ').slice(1, 2).join(' ')}`);
  }
  const head = await exec('git', ['-C', repo, 'log', '-1', '--format=%h %s']).catch(
    () => undefined,
  );
  if (head) parts.push(`imgext at ${head.stdout.trim().slice(0, 80)}`);
  return parts.join('; ');
}

const START = '<!-- bench:extender-builders:start -->';
const END = '<!-- bench:extender-builders:end -->';

function writeDocs(block: string): void {
  const file = join(repo, 'docs', 'extender.md');
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    console.error(`bench:extender-builders: docs/extender.md has no ${START} ... ${END} markers`);
    process.exitCode = 1;
    return;
  }
  writeFileSync(file, `${text.slice(0, a + START.length)}\n${block}\n${text.slice(b)}`);
}

if (opts.report.length > 0) {
  await rerender(opts.report);
} else {
  try {
    await main();
  } finally {
    if (!stopping) await cleanup();
  }
}
