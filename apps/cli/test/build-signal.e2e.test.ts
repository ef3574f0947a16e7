/**
 * The real `imgext` process (bin/imgext.js over the built dist/, which tools/test builds before
 * the tests), started as a user's shell starts it (the file itself, through its shebang): a
 * SIGINT in the middle of a build, the same SIGINT delivered twice at once, a closed stdout, and
 * flags that node itself must not read. Each exits as documented and leaves no container or
 * volume of the build and no image in the daemon.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildArgv,
  cacheVolumesOf,
  leftovers,
  removeBuilt,
  removeDir,
  sampleApp,
} from './build-harness.js';

const bin = resolve(import.meta.dirname, '../bin/imgext.js');
const built = existsSync(resolve(import.meta.dirname, '../dist/cli/imgext.js'));
const image = 'imgext-test/build-signal:latest';
const images = [
  image,
  'imgext-test/build-signal-twice:latest',
  'imgext-test/build-epipe:latest',
  'imgext-test/build-epipe-stderr:latest',
];
let client: EngineClient;
let app: string | undefined;

/** Runs the bin file itself (its shebang decides how node is started). */
function imgext(args: string[]) {
  return spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((done) => child.on('exit', (code) => done({ code, stderr })));
}

/** Reads `stream` by lines and closes it after `n` of them, as `| head -n` does; how many were read. */
function closeAfterLines(stream: NodeJS.ReadableStream & { destroy(): void }, n: number) {
  let lines = 0;
  const reader = createInterface({ input: stream });
  reader.on('line', () => {
    lines += 1;
    if (lines === n) {
      reader.close();
      stream.destroy();
    }
  });
  return () => lines;
}

beforeAll(async () => {
  client = await EngineClient.connect();
});

afterAll(async () => {
  for (const i of images) await removeBuilt(client, i);
  await removeDir(app);
  await client?.close();
});

describe.skipIf(!built)('imgext build and SIGINT (the built CLI as a process)', () => {
  it('SIGINT while an extension is applied: exit code 130, nothing of the build left', async () => {
    app = await sampleApp('build run');
    const child = imgext(buildArgv(image, app));
    let signalled = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!signalled && line.includes('"type":"extension.start"')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(signalled).toBe(true);
    expect(code).toBe(130);
    expect(await leftovers(client, image)).toEqual({ containers: 0, volumes: 0, image: false });
  });

  it('the same SIGINT twice at once (as timeout or npm forward it): the clean-up still runs', async () => {
    const twice = images[1] as string;
    app ??= await sampleApp('build run');
    const child = imgext(buildArgv(twice, app));
    let signalled = false;
    const sessions = new Set<string>();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      for (const m of line.matchAll(/"imgext-([0-9a-f]{12})-layers"/g)) sessions.add(m[1]!);
      if (!signalled && line.includes('"type":"extension.start"')) {
        signalled = true;
        child.kill('SIGINT');
        // Two kills in one tick may reach node as one signal; a forwarded copy comes a little later.
        setTimeout(() => child.kill('SIGINT'), 100);
      }
    });
    const { code, stderr } = await exited(child);
    expect(signalled).toBe(true);
    expect(code).toBe(130);
    expect(stderr).not.toContain('without finishing the clean-up');
    expect(await leftovers(client, twice)).toEqual({ containers: 0, volumes: 0, image: false });
    // This build's own holds (imgext.local/hold/<session id>:...). The shared base tags
    // (hold/base:<image ID>) may belong to another test's build of the same base at this moment;
    // that an aborted build leaves none is tested in extender's base-tags.test.ts.
    expect(sessions.size).toBeGreaterThan(0);
    for (const id of sessions) {
      const holds = await client.images.list({
        filters: { reference: [`imgext.local/hold/${id}`] },
      });
      expect(holds.flatMap((i) => i.RepoTags ?? [])).toEqual([]);
    }
  });

  it('stdout closed by its reader (| head -2): no stack trace, exit 141, nothing left', async () => {
    const epipe = images[2] as string;
    app ??= await sampleApp('build run');
    const child = imgext(buildArgv(epipe, app));
    const read = closeAfterLines(child.stdout!, 2);
    const { code, stderr } = await exited(child);
    expect(read()).toBeGreaterThanOrEqual(2);
    expect(stderr).not.toMatch(/\n\s+at |EPIPE/);
    expect(code).toBe(141);
    expect(await leftovers(client, epipe)).toEqual({ containers: 0, volumes: 0, image: false });
    expect(await cacheVolumesOf(client, epipe)).toEqual([]);
  });

  it('stderr closed by its reader (2>&1 >/dev/null | head -2): exit 141, nothing left', async () => {
    const epipe = images[3] as string;
    app ??= await sampleApp('build run');
    // Without --json the progress goes to stderr; stdout is left unread.
    const child = imgext(buildArgv(epipe, app).filter((a) => a !== '--json'));
    child.stdout?.resume();
    const read = closeAfterLines(child.stderr!, 2);
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(read()).toBeGreaterThanOrEqual(2);
    expect(code).toBe(141);
    expect(await leftovers(client, epipe)).toEqual({ containers: 0, volumes: 0, image: false });
    expect(await cacheVolumesOf(client, epipe)).toEqual([]);
  });

  it('--env-file of a missing file is read by imgext, not by node', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imgext-envfile-'));
    try {
      await writeFile(join(dir, 'app.txt'), 'x');
      const child = imgext([
        'build',
        'imgext-test/never:latest',
        '-B',
        'b',
        '-p',
        dir,
        '--env-file',
        'missing.env',
      ]);
      const { code, stderr } = await exited(child);
      expect(stderr).not.toContain('node:');
      expect(stderr).toContain('cannot read --env-file missing.env');
      expect(code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
