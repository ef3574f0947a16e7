/**
 * Input `imgext build` can tell wrong before the daemon is asked anything: usage errors (exit
 * 2) that name the flag and what is wrong with it, and nothing created in the daemon.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheVolumesOf, leftovers, runCli, SAMPLE_BUILDER, sampleApp } from './build-harness.js';

let client: EngineClient;
let app: string;
let scratch: string;

beforeAll(async () => {
  client = await EngineClient.connect();
  app = await sampleApp('build');
  scratch = await mkdtemp(join(tmpdir(), 'imgext-input-'));
});

afterAll(async () => {
  await rm(app, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
  await client?.close();
});

const build = (image: string, ...extra: string[]) =>
  runCli(['build', image, '--builder', SAMPLE_BUILDER, '--path', app, '--trust-builder', ...extra]);

async function expectNothingMade(image: string): Promise<void> {
  expect(await leftovers(client, image)).toEqual({ containers: 0, volumes: 0, image: false });
  expect(await cacheVolumesOf(client, image)).toEqual([]);
}

describe('imgext build: input refused up front', () => {
  it.each([
    ['Probe-Upper:1', 'the image to build', 'lowercase'],
    ['a b:1', 'the image to build', 'white space'],
  ])('image %j: exit 2, the reason named, nothing made', async (image, where, why) => {
    const run = await build(image);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${where}: "${image}" is not a valid image reference`);
    expect(run.stderr).toContain(why);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await expectNothingMade(image);
  });

  it.each([
    ['--run-image', 'Run:1'],
    ['--lifecycle-image', 'x y'],
    ['--builder', 'team/Builder'],
  ])('%s with an invalid reference: exit 2 naming the flag', async (flag, ref) => {
    const image = 'imgext-test/input-flag:latest';
    const run =
      flag === '--builder'
        ? await runCli(['build', image, '--builder', ref, '--path', app])
        : await build(image, flag, ref);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${flag}: "${ref}" is not a valid image reference`);
    await expectNothingMade(image);
  });

  it('--lifecycle-image an image that is not a lifecycle image: exit 2 naming it, nothing made', async () => {
    const image = 'imgext-test/input-lifecycle-image:latest';
    const notLifecycle = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
    const run = await build(image, '--lifecycle-image', notLifecycle);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('[ERR_NOT_A_LIFECYCLE_IMAGE]');
    expect(run.stderr).toContain(`${notLifecycle} (--lifecycle-image) is not a lifecycle image`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await expectNothingMade(image);
  });

  it('--cache-image with an invalid reference, with --publish: exit 2 naming it', async () => {
    const run = await build(
      '127.0.0.1:5000/imgext-test/input:latest',
      '--publish',
      '--cache-image',
      'Bad:1',
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('--cache-image: "Bad:1"');
  });

  it('a missing --path: exit 2 naming the path, not the engine', async () => {
    const image = 'imgext-test/input-path:latest';
    const missing = join(scratch, 'nope');
    const run = runCli(['build', image, '--builder', SAMPLE_BUILDER, '--path', missing]);
    const { code, stderr } = await run;
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(`--path ${missing}: no such folder`);
    expect(stderr).not.toContain('ENGINE_CONNECTION');
    await expectNothingMade(image);
  });

  it('a file as --path: exit 2 before anything is sent', async () => {
    const image = 'imgext-test/input-file:latest';
    const file = join(scratch, 'app.jar');
    await writeFile(file, 'not a folder');
    const { code, stderr } = await runCli(['build', image, '-B', SAMPLE_BUILDER, '-p', file]);
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(`--path ${file} is not a folder`);
    await expectNothingMade(image);
  });

  it('--network other than none or host: exit 2 listing the choices', async () => {
    const image = 'imgext-test/input-network:latest';
    const { code, stderr } = await build(image, '--network', 'foo');
    expect(code, stderr).toBe(2);
    expect(stderr).toContain('network');
    expect(stderr).toContain('"none", "host"');
    await expectNothingMade(image);
  });

  it("the config file's default-builder: used without --builder or a descriptor's builder, named when invalid", async () => {
    const config = join(scratch, 'default-builder.toml');
    await writeFile(config, 'default-builder = "team/Builder"\n');
    const env = { ...process.env, IMGEXT_CONFIG: config };
    const image = 'imgext-test/input-default-builder:latest';
    const bare = await sampleApp('build');
    try {
      const run = await runCli(['build', image, '--path', bare], { env });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(
        `default-builder of the config file ${config}: "team/Builder" is not a valid image reference`,
      );
      await expectNothingMade(image);
      // --builder wins over it: the build goes on to look the given builder up.
      const given = await runCli(
        [
          'build',
          image,
          '--path',
          bare,
          '--builder',
          'imgext-test/absent-builder:latest',
          '--pull-policy',
          'never',
          '--json',
        ],
        { env },
      );
      expect(given.code, given.stderr).toBe(1);
      expect(given.stdout).toContain('imgext-test/absent-builder:latest');
      expect(given.stdout).not.toContain('team/Builder');
      // Without any: the usage error names all three places.
      const none = await runCli(['build', image, '--path', bare], {
        env: { ...process.env, IMGEXT_CONFIG: join(scratch, 'no-such-config.toml') },
      });
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('default-builder in the config file');
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
