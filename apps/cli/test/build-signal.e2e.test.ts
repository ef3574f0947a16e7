/**
 * A real SIGINT to the real `imgext` process (bin/imgext.js over the built dist/, which
 * tools/test builds before the tests) in the middle of a build: it exits 130 and leaves no
 * container or volume of the build and no image in the daemon.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArgv, leftovers, removeBuilt, removeDir, sampleApp } from './build-harness.js';

const bin = resolve(import.meta.dirname, '../bin/imgext.js');
const built = existsSync(resolve(import.meta.dirname, '../dist/main.js'));
const image = 'imgext-test/build-signal:latest';
let client: EngineClient;
let app: string | undefined;

beforeAll(async () => {
  client = await EngineClient.connect();
});

afterAll(async () => {
  await removeBuilt(client, image);
  await removeDir(app);
  await client?.close();
});

describe.skipIf(!built)('imgext build and SIGINT (the built CLI as a process)', () => {
  it('SIGINT while an extension is applied: exit code 130, nothing of the build left', async () => {
    app = await sampleApp('build run');
    const child = spawn(process.execPath, [bin, ...buildArgv(image, app)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
});
