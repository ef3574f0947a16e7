/**
 * Where a cold build's analyze and export go: builds the sample app (no extension, and with the
 * run extension) on a small run image (the busybox stack's, ~1 MB) and a big one (the same plus
 * 3,000 files, ~40 MB: made here with the classic builder), cold (new image name: no previous
 * image, empty cache and launch-cache volumes) then warm (the same again), on $DOCKER_HOST.
 * Prints analyzer/exporter times: the phase's wall time and the lifecycle binary's own run
 * (the container's StartedAt..FinishedAt). Not a test: nothing is asserted.
 *
 *   node --conditions=@imgext/source --import ./engine-client/register-ts.mjs cold-export/run.ts
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, cacheVolumes } from '@imgext/build';
import { EngineClient } from '@imgext/engine-client';

const here = dirname(fileURLToPath(import.meta.url));
const builder = process.env.IMGEXT_SAMPLE_BUILDER ?? 'imgext.local/sample/builder:latest';
const smallRun = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
const bigRun = 'imgext.local/bench/bigrun:latest';
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);

function makeBigRun(): void {
  const dir = execFileSync('mktemp', ['-d']).toString().trim();
  const script =
    'mkdir -p /opt/big && cd /opt/big && for d in $(seq 1 30); do mkdir d$d; ' +
    'for f in $(seq 1 100); do head -c 13000 /dev/urandom > d$d/f$f; done; done';
  execFileSync('sh', [
    '-c',
    `printf 'FROM %s\\nUSER root\\nRUN %s\\nUSER 1000:1000\\n' "$1" "$2" > "$3/Dockerfile" && DOCKER_BUILDKIT=0 docker build -q -t "$4" "$3" >/dev/null 2>&1`,
    'sh',
    smallRun,
    script,
    dir,
    bigRun,
  ]);
}

interface Times {
  [phase: string]: { wall: number; process?: number };
}

async function once(client: EngineClient, image: string, app: string, runImage: string) {
  const times: Times = {};
  const t0 = performance.now();
  await buildApp(
    client,
    { image, builder, appDir: app, runImage, trustBuilder: true },
    {
      onEvent: (e) => {
        if (e.type !== 'lifecycle') return;
        const l = e.event;
        if (l.type === 'phase-end') times[l.phase] = { wall: l.durationMs };
        if (l.type === 'phase-timing' && times[l.phase] && l.processMs !== undefined)
          (times[l.phase] as { process?: number }).process = l.processMs;
      },
    },
  );
  return { total: performance.now() - t0, times };
}

async function clean(client: EngineClient, image: string) {
  await client.images.remove(image, { force: true }).catch(() => undefined);
  const c = cacheVolumes(image);
  for (const v of [c.build, c.launch])
    await client.volumes.remove(v, { force: true }).catch(() => undefined);
}

const client = await EngineClient.connect();
makeBigRun();
const rows: string[] = [];
const fmt = (t?: { wall: number; process?: number }) =>
  t ? `${(t.wall / 1000).toFixed(2)} (${((t.process ?? Number.NaN) / 1000).toFixed(2)})` : '-';
try {
  for (const words of ['', 'run']) {
    for (const [label, runImage] of [
      ['small', smallRun],
      ['big', bigRun],
    ] as const) {
      for (let r = 0; r < rounds; r++) {
        const image = `imgext-bench/cold-export-${label}-${words || 'none'}-${r}:latest`;
        const app = await mkdtemp(join(tmpdir(), 'imgext-bench-app-'));
        await cp(join(here, '../../tools/sample/app'), app, { recursive: true });
        await writeFile(join(app, 'sample-extensions'), `${words}\n`);
        try {
          await clean(client, image);
          const cold = await once(client, image, app, runImage);
          const warm = await once(client, image, app, runImage);
          // The previous image stays, its launch cache is gone (pruned volumes, another machine's
          // image pulled): the exporter reuses the previous image's layers.
          await client.volumes.remove(cacheVolumes(image).launch, { force: true });
          const noLaunch = await once(client, image, app, runImage);
          const row = `| ${words || 'none'} | ${label} | ${(cold.total / 1000).toFixed(2)} | ${fmt(cold.times.analyzer)} | ${fmt(cold.times.exporter)} | ${(warm.total / 1000).toFixed(2)} | ${fmt(warm.times.analyzer)} | ${fmt(warm.times.exporter)} | ${fmt(noLaunch.times.exporter)} |`;
          console.log(row);
          rows.push(row);
        } finally {
          await clean(client, image);
          await rm(app, { recursive: true, force: true });
        }
      }
    }
  }
} finally {
  await client.close();
}
const engine = process.env.IMGEXT_ENGINE ?? 'default';
const md = `# Cold export and first analyze (${engine})

Written by \`bench/cold-export/run.ts\`; seconds: the phase's wall time (the lifecycle binary's own
run). See docs/build-flow.md ("Cold export and first analyze").

| extension | run image | cold total | cold analyzer | cold exporter | warm total | warm analyzer | warm exporter | exporter, previous image but no launch cache |
| --------- | --------- | ---------- | ------------- | ------------- | ---------- | ------------- | ------------- | -------------------------------------------- |
${rows.join('\n')}
`;
console.log(md);
await mkdir(join(here, '../results'), { recursive: true });
await writeFile(join(here, `../results/cold-export-${engine.replace(/[^\w.-]+/g, '_')}.md`), md);
