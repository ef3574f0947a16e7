// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax
/**
 * Extender benchmark: imgext's extender vs the docker CLI's own `docker build` (classic builder,
 * DOCKER_BUILDKIT=0) applying the same Dockerfile chains to the same daemon, alternating which
 * goes first. N = 1, 3, 5 Dockerfiles, cold (fresh content, no cache) and warm (same content
 * again: the steps before `ARG build_id` come from the cache). Then the run-image layout export
 * against the extended image's size. Not a test: it prints a table and asserts nothing.
 *
 *   BENCH_REPS (default 3), BENCH_LAYER_MB (default 4), DOCKER_HOST.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EngineClient } from '@imgext/engine-client';
import {
  buildContext,
  CONTEXT_DOCKERFILE,
  directorySink,
  extend,
  retireSuperseded,
  writeRunLayout,
} from '@imgext/extender';
import { afterAll, it } from 'vitest';

const exec = promisify(execFile);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const LAYER_MB = Number(process.env.BENCH_LAYER_MB ?? 4);
const BASE_STACK = process.env.IMGEXT_STACK_BUILD_IMAGE ?? 'imgext.local/stack/busybox:build';
const RUN_STACK = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
const nonce = randomUUID().slice(0, 8);
const label = `imgext-bench.run=${nonce}`;
const engine = new EngineClient();
const dirs: string[] = [];

function dockerfile(i: number, salt: string): string {
  return [
    'ARG base_image',
    'FROM ${base_image}',
    'ARG user_id',
    'USER root',
    `RUN mkdir -p /opt && head -c ${LAYER_MB * 1024 * 1024} /dev/urandom > /opt/ext-${i}-${salt}`,
    `ENV EXT_${i}=${salt}`,
    'ARG build_id',
    `RUN echo "$build_id" > /opt/id-${i}`,
    'USER ${user_id}',
    '',
  ].join('\n');
}

async function generated(n: number, salt: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'imgext-bench-'));
  dirs.push(dir);
  for (let i = 0; i < n; i++) {
    await mkdir(join(dir, `bench_e${i}`));
    await writeFile(join(dir, `bench_e${i}`, 'build.Dockerfile'), dockerfile(i, salt));
  }
  return dir;
}

/** retireSuperseded after each imgext run, timed apart: off the critical path in imgext build. */
const retired: Array<{ n: number; ms: number; images: number }> = [];

async function viaImgext(dir: string, n: number, base: string): Promise<number> {
  const t = performance.now();
  const result = await extend({
    engine,
    kind: 'build',
    generatedDir: dir,
    platformApi: '0.13',
    order: Array.from({ length: n }, (_, i) => `bench/e${i}`),
    baseImage: base,
    networkMode: 'none',
  });
  const ms = performance.now() - t;
  if (result.superseded.length > 0) {
    const r = performance.now();
    const { removed: images } = await retireSuperseded(engine, result);
    retired.push({ n, ms: performance.now() - r, images });
  }
  return ms;
}

/** The same chain with the docker CLI: one `docker build` per Dockerfile, base_image = previous. */
async function viaDockerCli(dir: string, n: number, base: string): Promise<number> {
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  const t = performance.now();
  let current = (await engine.images.inspect(base)).Id;
  for (let i = 0; i < n; i++) {
    const user = (await engine.images.inspect(current)).Config?.User ?? '';
    const { stdout } = await exec(
      'docker',
      [
        'build',
        '-q',
        '--network',
        'none',
        '--build-arg',
        `base_image=${current}`,
        '--build-arg',
        `build_id=${randomUUID()}`,
        '--build-arg',
        `user_id=${user.split(':')[0] || '0'}`,
        '-f',
        join(dir, `bench_e${i}`, 'build.Dockerfile'),
        join(dir, `bench_e${i}`),
      ],
      { env, maxBuffer: 1 << 20 },
    );
    current = stdout.trim().split('\n').at(-1)!;
  }
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

afterAll(async () => {
  for (let pass = 0; pass < 3; pass++) {
    const images = await engine.images.list({ all: true, filters: { label: [label] } });
    if (images.length === 0) break;
    images.sort((a, b) => b.Created - a.Created);
    // Every step image carries the label (the containerd store keeps them): remove 8 at a time.
    for (let i = 0; i < images.length; i += 8) {
      await Promise.all(
        images
          .slice(i, i + 8)
          .map((img) => engine.images.remove(img.Id, { force: true }).catch(() => undefined)),
      );
    }
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await engine.close();
});

it('extender vs docker build, and the run layout export', async () => {
  const base = `imgext-bench/base:${nonce}`;
  const runBase = `imgext-bench/run-base:${nonce}`;
  for (const [from, tag] of [
    [BASE_STACK, base],
    [RUN_STACK, runBase],
  ] as const) {
    await engine.images.build(buildContext({ dockerfile: `FROM ${from}\nLABEL ${label}\n` }), {
      dockerfile: CONTEXT_DOCKERFILE,
      tags: [tag],
      networkMode: 'none',
    });
  }
  const rows: string[] = [];
  rows.push(`engine ${engine.endpoint.host}, ${REPS} reps, ${LAYER_MB} MB per Dockerfile, medians`);
  rows.push('N  cache  imgext   docker   overhead');
  for (const n of [1, 3, 5]) {
    const cold = { imgext: [] as number[], docker: [] as number[] };
    const warm = { imgext: [] as number[], docker: [] as number[] };
    for (let r = 0; r < REPS; r++) {
      const imgextFirst = r % 2 === 0;
      const a = await generated(n, `a${n}${r}${nonce}`);
      const b = await generated(n, `b${n}${r}${nonce}`);
      // cold: fresh content for each tool; warm: the same content again.
      const pairs: Array<[() => Promise<number>, number[], number[]]> = [
        [() => viaImgext(a, n, base), cold.imgext, warm.imgext],
        [() => viaDockerCli(b, n, base), cold.docker, warm.docker],
      ];
      if (!imgextFirst) pairs.reverse();
      for (const [run, c] of pairs) c.push(await run());
      for (const [run, , w] of pairs) w.push(await run());
    }
    for (const [name, m] of [
      ['cold', cold],
      ['warm', warm],
    ] as const) {
      const i = median(m.imgext);
      const d = median(m.docker);
      rows.push(`${n}  ${name}   ${fmt(i)}    ${fmt(d)}    ${(((i - d) / d) * 100).toFixed(1)}%`);
    }
  }

  for (const n of [1, 3, 5]) {
    const runs = retired.filter((x) => x.n === n);
    if (runs.length === 0) continue;
    rows.push(
      `N=${n}: retireSuperseded after a run that superseded the previous chain (not in the times above; imgext build runs it during the build phase): median ${fmt(median(runs.map((x) => x.ms)))} for ${median(runs.map((x) => x.images))} images`,
    );
  }

  // The run layout export: extend the run image with N=3 Dockerfiles, then time the layout.
  const runDir = await mkdtemp(join(tmpdir(), 'imgext-bench-run-'));
  dirs.push(runDir);
  for (let i = 0; i < 3; i++) {
    await mkdir(join(runDir, `bench_r${i}`));
    await writeFile(
      join(runDir, `bench_r${i}`, 'run.Dockerfile'),
      dockerfile(i, `run${nonce}`).replace('ARG base_image\n', ''),
    );
  }
  const extended = await extend({
    engine,
    kind: 'run',
    generatedDir: runDir,
    platformApi: '0.13',
    baseImage: runBase,
    networkMode: 'none',
  });
  const runBaseInspect = await engine.images.inspect(runBase);
  const size = (await engine.images.inspect(extended.imageId)).Size ?? 0;
  const baseSize = runBaseInspect.Size ?? 0;
  for (let r = 0; r < REPS; r++) {
    const out = join(runDir, `layout-${r}`);
    const t = performance.now();
    const layout = await writeRunLayout({
      engine,
      imageId: extended.imageId,
      baseLayerCount: runBaseInspect.RootFS.Layers?.length ?? 0,
      baseHistoryLength: (await engine.images.history(runBase)).length,
      attribution: extended.applied,
      rebasable: false,
      sink: directorySink(out),
    });
    const ms = performance.now() - t;
    const mb = (size - baseSize) / 1e6;
    rows.push(
      `layout export: ${fmt(ms)} for ${mb.toFixed(1)} MB of new layers (image ${(size / 1e6).toFixed(1)} MB), ` +
        `${(mb / (ms / 1000)).toFixed(1)} MB/s, ${layout.layers.length} layers, ${(layout.bytes / 1e6).toFixed(1)} MB gzip, ${layout.passes} save pass(es)`,
    );
  }
  console.log(`\n${rows.join('\n')}\n`);
});
