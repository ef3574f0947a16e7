/**
 * `imgext build` end to end: the sample builder (tools/env up makes it), the real lifecycle, the
 * daemon at $DOCKER_HOST. Each test selects sample extensions through the app's
 * `sample-extensions` file, builds, runs the image and checks what the extensions added.
 */
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  daemonCounts,
  removeBuilt,
  removeDir,
  runCli,
  runImage,
  SAMPLE_BUILDER,
  sampleApp,
} from './build-harness.js';

let client: EngineClient;
const made: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  client = await EngineClient.connect();
});

afterAll(async () => {
  for (const image of made) await removeBuilt(client, image);
  for (const dir of dirs) await removeDir(dir);
  await client?.close();
});

async function build(name: string, words: string, extra: string[] = []) {
  const image = `imgext-test/build-${name}:latest`;
  made.push(image);
  const app = await sampleApp(words);
  dirs.push(app);
  const run = await runCli([
    'build',
    image,
    '--builder',
    SAMPLE_BUILDER,
    '--path',
    app,
    '--trust-builder',
    '--json',
    ...extra,
  ]);
  return { image, run };
}

function result(run: { lines: Array<Record<string, unknown>> }) {
  return run.lines.find((l) => l.type === 'result') as Record<string, any> | undefined;
}

describe('imgext build', () => {
  it('only a build extension: the buildpack used the tool it installed', async () => {
    const { image, run } = await build('only-build', 'build');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = await runImage(client, image);
    expect(out).toContain('built with: build-tool 1.0 (installed by imgext-samples/build-tool)');
    expect(out).toContain('run image tool: none');
    expect(result(run)?.buildImage?.applied).toEqual(['imgext-samples/build-tool']);
  });
});
