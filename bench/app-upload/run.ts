/**
 * The app upload: imgext's `LifecycleSession.putApp` against `tar -cf - . | docker cp -` of the
 * same tree into the same kind of container (a session's helper container, its /workspace
 * volume), alternating which goes first, on $DOCKER_HOST. Prints a table and writes
 * results/app-upload.md. Not a test: nothing is asserted.
 *
 *   node --conditions=@imgext/source --import ./engine-client/register-ts.mjs app-upload/run.ts
 *
 * BENCH_ROUNDS (default 3), BENCH_SMALL_FILES (10000), BENCH_BIG_MB (218).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '@imgext/engine-client';
import { LifecycleSession } from '@imgext/lifecycle';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const smallFiles = Number(process.env.BENCH_SMALL_FILES ?? 10000);
const bigMb = Number(process.env.BENCH_BIG_MB ?? 218);
const builder = process.env.IMGEXT_SAMPLE_BUILDER ?? 'imgext.local/sample/builder:latest';
const here = dirname(fileURLToPath(import.meta.url));

async function smallTree(dir: string): Promise<void> {
  for (let i = 0; i < smallFiles; i++) {
    const sub = join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f${i}.txt`), `${'x'.repeat(100 + (i % 1900))}\n`);
  }
}

async function bigTree(dir: string): Promise<void> {
  const chunk = Buffer.alloc(1 << 20, 7);
  const files = Math.max(1, Math.floor(bigMb / 10));
  for (let i = 0; i < files; i++) {
    await writeFile(
      join(dir, `blob${i}.bin`),
      Buffer.concat(Array.from({ length: 10 }, () => chunk)),
    );
  }
  await mkdir(join(dir, 'src'));
  for (let i = 0; i < 1000; i++) await writeFile(join(dir, 'src', `m${i}.js`), `// ${i}\n`);
}

function dockerCp(dir: string, container: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sh = spawn(
      'sh',
      ['-c', `tar -C "$1" -cf - . | docker cp - "$2:/workspace"`, 'sh', dir, container],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    sh.on('error', reject);
    sh.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`docker cp exited ${code}`)),
    );
  });
}

async function session(client: EngineClient): Promise<LifecycleSession> {
  return LifecycleSession.create({
    client,
    builderImage: builder,
    platformApi: '0.15',
    owner: { uid: 1000, gid: 1000 },
    daemonSocket: '/var/run/docker.sock',
  });
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const client = await EngineClient.connect();
const root = await mkdtemp(join(tmpdir(), 'imgext-bench-upload-'));
const rows: string[] = [];
try {
  for (const [label, make] of [
    [`${smallFiles.toLocaleString('en-US')} small files`, smallTree],
    [`${bigMb} MB (${Math.floor(bigMb / 10)} × 10 MB + 1,000 small)`, bigTree],
  ] as const) {
    const dir = join(root, label.replace(/\W+/g, '-'));
    await mkdir(dir);
    await make(dir);
    const imgext: number[] = [];
    const cp: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = await session(client);
      const b = await session(client);
      try {
        const runImgext = async () => imgext.push(await time(() => a.putApp(dir)));
        const runCp = async () => cp.push(await time(() => dockerCp(dir, b.helperContainer)));
        if (r % 2 === 0) {
          await runImgext();
          await runCp();
        } else {
          await runCp();
          await runImgext();
        }
      } finally {
        await a.dispose();
        await b.dispose();
      }
    }
    const row = `| ${label} | ${(median(imgext) / 1000).toFixed(2)} s | ${(median(cp) / 1000).toFixed(2)} s | ${(median(cp) / median(imgext)).toFixed(2)}× |`;
    console.log(
      row,
      ' imgext',
      imgext.map((x) => Math.round(x)),
      'docker cp',
      cp.map((x) => Math.round(x)),
    );
    rows.push(row);
  }
} finally {
  await rm(root, { recursive: true, force: true });
  await client.close();
}
const engine = process.env.IMGEXT_ENGINE ?? process.env.DOCKER_HOST ?? 'default';
const md = `# App upload: imgext putApp vs tar | docker cp

Engine: ${engine}; medians of ${rounds} alternating rounds; each into a fresh session's helper
container (/workspace volume). Ratio > 1: imgext is faster. Written by \`bench/app-upload/run.ts\`.

| tree | imgext putApp | tar \\| docker cp | docker cp / imgext |
| ---- | ------------- | ---------------- | ------------------ |
${rows.join('\n')}
`;
await mkdir(join(here, '../results'), { recursive: true });
await writeFile(join(here, '../results/app-upload.md'), md);
console.log(md);
