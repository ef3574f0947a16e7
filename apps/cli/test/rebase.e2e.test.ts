/**
 * `imgext rebase` and `imgext inspect` end to end: real daemon, the real lifecycle's rebaser in a
 * lifecycle image made from $IMGEXT_LIFECYCLE_DIR, the local registry. An app whose run extension
 * is rebasable moves onto a new version of its run image (made here, with a marker file); one
 * whose run extension is not rebasable is refused with the extension named, and --force rebases it.
 */
import { EngineClient } from '@imgext/engine-client';
import { packFiles } from '@imgext/lifecycle';
import { ensureLifecycleImage } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArgv, Made, runCli, SAMPLE_BUILDER, sampleApp } from './build-harness.js';

let client: EngineClient;
const made = new Made();
const registry = process.env.IMGEXT_REGISTRY ?? '127.0.0.1:5000';
const stackRun = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
const runV2 = 'imgext-test/rebase-run:v2';
const unrebasable = 'imgext-test/rebase-unrebasable-builder:latest';
const MARKER = '/run-image-v2-marker';
let baseLayers: string[];
let v2Layers: string[];
let v2Id: string;

async function dockerBuild(
  tag: string,
  dockerfile: string,
  files: Array<{ path: string; content: string }> = [],
) {
  made.image(tag);
  await client.images.build(
    packFiles([{ path: 'Dockerfile', content: dockerfile }, ...files], { uid: 0, gid: 0 }),
    {
      tags: [tag],
      networkMode: 'none',
    },
  );
}

/** The sample run-tool extension, but its run.Dockerfile does not declare itself rebasable. */
const UNREBASABLE_GENERATE = `#!/bin/sh
set -eu
cat >"\${CNB_OUTPUT_DIR:?}/run.Dockerfile" <<'DOCKERFILE'
ARG base_image
FROM \${base_image}
ARG user_id
ARG group_id
USER root
RUN printf '#!/bin/sh\\necho "run-tool 1.0 (installed by imgext-samples/run-tool)"\\n' >/usr/local/bin/run-tool && chmod 755 /usr/local/bin/run-tool
USER \${user_id}:\${group_id}
DOCKERFILE
`;

beforeAll(async () => {
  client = await EngineClient.connect();
  await ensureLifecycleImage(client);
  const base = await client.images.inspect(stackRun);
  baseLayers = base.RootFS.Layers ?? [];
  await dockerBuild(
    runV2,
    `FROM ${stackRun}\nUSER root\nRUN echo v2 > ${MARKER}\nUSER ${base.Config?.User ?? ''}\n`,
  );
  const v2 = await client.images.inspect(runV2);
  v2Layers = v2.RootFS.Layers ?? [];
  v2Id = v2.Id;
  await dockerBuild(
    unrebasable,
    `FROM ${SAMPLE_BUILDER}\nUSER root\nCOPY generate /cnb/extensions/imgext-samples_run-tool/0.0.1/bin/generate\nRUN chmod 755 /cnb/extensions/imgext-samples_run-tool/0.0.1/bin/generate\nUSER 1000:1000\n`,
    [{ path: 'generate', content: UNREBASABLE_GENERATE }],
  );
}, 120_000);

afterAll(async () => {
  await made.remove(client);
  await client?.close();
});

/** Runs `cmd` in the image (bypassing the launcher); resolves stdout. */
async function exec(image: string, cmd: string[]): Promise<string> {
  let out = '';
  const { exitCode } = await client.containers.run(
    // The command as the entrypoint: podman takes an empty Entrypoint as the image's (the launcher).
    {
      Image: image,
      Entrypoint: cmd.slice(0, 1),
      Cmd: cmd.slice(1),
      HostConfig: { NetworkMode: 'none' },
    },
    { onOutput: (c) => (out += c.data.toString()) },
  );
  if (exitCode !== 0)
    throw new Error(`${cmd.join(' ')} in ${image} exited with ${exitCode}: ${out}`);
  return out;
}

async function inspect(image: string, extra: string[] = []) {
  const run = await runCli(['inspect', image, '--json', ...extra]);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run.lines.find((l) => l.type === 'result') as Record<string, unknown> & {
    runImage: { image?: string; reference?: string; topLayer?: string; mirrors: string[] };
    layers: string[];
  };
}

async function build(
  name: string,
  builder: string,
  extra: string[] = [],
  image = `imgext-test/rebase-${name}:latest`,
) {
  made.image(image);
  const app = made.dir(await sampleApp('run'));
  const argv = buildArgv(image, app, extra).map((a) => (a === SAMPLE_BUILDER ? builder : a));
  const run = await runCli(argv);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return image;
}

const RUN_TOOL = { id: 'imgext-samples/run-tool', version: '0.0.1', kinds: ['run'] };
const HELLO = [{ id: 'imgext-samples/hello', version: '0.0.1' }];
const WEB = [
  {
    type: 'web',
    command: ['hello'],
    args: [],
    direct: true,
    default: true,
    buildpackId: 'imgext-samples/hello',
  },
];

describe('imgext rebase and inspect (daemon)', () => {
  it('a rebasable run extension: inspect says so; rebase puts the app on the new run image, the extension layer above it', async () => {
    const image = await build('ok', SAMPLE_BUILDER);
    const before = await inspect(image);
    expect(before).toMatchObject({
      image,
      location: 'daemon',
      id: (await client.images.inspect(image)).Id,
      runImage: { image: stackRun, topLayer: baseLayers.at(-1), mirrors: [] },
      rebasable: true,
      notRebasableBecause: [],
      recordedByImgext: true,
      buildpacks: HELLO,
      extensions: [{ ...RUN_TOOL, rebasable: true }],
      processes: WEB,
      lifecycleVersion: '0.21.17',
      stackId: 'io.imgext.stacks.busybox',
      runImageLayers: baseLayers.length,
      os: 'linux',
    });
    expect(before.layers.slice(0, baseLayers.length)).toEqual(baseLayers);

    const run = await runCli(['rebase', image, '--run-image', runV2, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // In the daemon imgext rebases itself (see packages/build/src/daemon-rebase.ts): no container.
    expect(run.lines.find((l) => l.type === 'rebase.start')).toMatchObject({ runImage: runV2 });
    expect(run.lines.some((l) => l.type === 'phase.start')).toBe(false);
    const result = run.lines.find((l) => l.type === 'result');
    expect(result).toMatchObject({
      image,
      from: image,
      forced: false,
      runImage: { topLayer: v2Layers.at(-1) },
    });

    const after = await inspect(image);
    expect(after).toMatchObject({
      rebasable: true,
      runImage: { image: runV2, topLayer: v2Layers.at(-1) },
      extensions: [{ ...RUN_TOOL, rebasable: true }],
      runImageLayers: v2Layers.length,
      processes: WEB,
    });
    expect(after.runImage.reference).toBe(v2Id.replace(/^sha256:/, ''));
    expect(after.layers.slice(0, v2Layers.length)).toEqual(v2Layers);
    // The app and extension layers are the same layers, above the new base.
    expect(after.layers.slice(v2Layers.length)).toEqual(before.layers.slice(baseLayers.length));
    expect(await exec(image, ['cat', MARKER])).toBe('v2\n');
    expect(await exec(image, ['/usr/local/bin/run-tool'])).toContain('run-tool 1.0');
    const { exitCode } = await client.containers.run(
      { Image: image, HostConfig: { NetworkMode: 'none' } },
      {},
    );
    expect(exitCode).toBe(0);
  });

  it('a run extension that is not rebasable: refused with the extension named, nothing changed; --force rebases it', async () => {
    const image = await build('unrebasable', unrebasable);
    const before = await inspect(image);
    expect(before).toMatchObject({
      rebasable: false,
      notRebasableBecause: ['imgext-samples/run-tool'],
      extensions: [{ ...RUN_TOOL, rebasable: false }],
      runImage: { image: stackRun, topLayer: baseLayers.at(-1) },
      buildpacks: HELLO,
      processes: WEB,
    });
    const human = await runCli(['inspect', image]);
    expect(human.stdout).toContain('Rebasable: no');
    expect(human.stdout).toContain('because the run.Dockerfile of imgext-samples/run-tool');

    const refused = await runCli(['rebase', image, '--run-image', runV2, '--json']);
    expect(refused.code).toBe(1);
    const error = refused.lines.find((l) => l.type === 'error');
    expect(error).toMatchObject({ code: 'ERR_NOT_REBASABLE' });
    expect(String(error?.message)).toContain('extension imgext-samples/run-tool');
    expect(String(error?.hint)).toContain('--force');
    expect(refused.lines.some((l) => l.type === 'rebase.start')).toBe(false);
    expect((await client.images.inspect(image)).Id).toBe(before.id);

    const forced = await runCli(['rebase', image, '--run-image', runV2, '--force', '--json']);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.lines.find((l) => l.type === 'result')).toMatchObject({ forced: true });
    const after = await inspect(image);
    expect(after).toMatchObject({
      rebasable: false,
      runImage: { image: runV2, topLayer: v2Layers.at(-1) },
    });
    expect(await exec(image, ['cat', MARKER])).toBe('v2\n');
    expect(await exec(image, ['/usr/local/bin/run-tool'])).toContain('run-tool 1.0');
  });

  it('--previous-image: rebases that image and writes the result under the new name, the old one unchanged', async () => {
    const image = await build('previous', SAMPLE_BUILDER);
    const oldId = (await client.images.inspect(image)).Id;
    const target = made.image('imgext-test/rebase-previous-out:latest');
    const run = await runCli([
      'rebase',
      target,
      '--previous-image',
      image,
      '--run-image',
      runV2,
      '--json',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((await client.images.inspect(image)).Id).toBe(oldId);
    expect(await inspect(target)).toMatchObject({ runImage: { topLayer: v2Layers.at(-1) } });
    expect(await exec(target, ['cat', MARKER])).toBe('v2\n');
  });

  it('inspect and rebase of a missing image, inspect of an image that is not an app image: clear errors', async () => {
    const missing = await runCli(['inspect', 'imgext-test/no-such-image:latest', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.lines.at(-1)).toMatchObject({ code: 'ERR_IMAGE_NOT_FOUND' });
    const rebaseMissing = await runCli(['rebase', 'imgext-test/no-such-image:latest', '--json']);
    expect(rebaseMissing.code).toBe(1);
    expect(rebaseMissing.lines.at(-1)).toMatchObject({
      code: 'ERR_IMAGE_NOT_FOUND',
      hint: 'to rebase it in its registry, pass --publish',
    });
    const notApp = await runCli(['inspect', stackRun, '--json']);
    expect(notApp.code).toBe(1);
    expect(notApp.lines.at(-1)).toMatchObject({ code: 'ERR_NOT_AN_APP_IMAGE' });
  });
});

describe('imgext rebase --publish and inspect --registry (local registry)', () => {
  it('rebasable and not: the same, in the registry', async () => {
    const push = async (local: string, repo: string) => {
      const ref = `${registry}/${repo}:latest`;
      await client.images.tag(local, `${registry}/${repo}`, 'latest');
      made.image(ref);
      await client.images.push(ref);
      return ref;
    };
    const runV1Ref = await push(stackRun, 'imgext-test/rebase-pub-run');
    const runV2Ref = await push(runV2, 'imgext-test/rebase-pub-run-v2');
    const ok = await build(
      'pub-ok',
      SAMPLE_BUILDER,
      ['--publish', '--run-image', runV1Ref],
      `${registry}/imgext-test/rebase-pub-ok:latest`,
    );
    const before = await inspect(ok, ['--registry']);
    expect(before).toMatchObject({
      location: 'registry',
      rebasable: true,
      notRebasableBecause: [],
      runImage: { image: runV1Ref, topLayer: baseLayers.at(-1) },
      extensions: [{ ...RUN_TOOL, rebasable: true }],
      buildpacks: HELLO,
      processes: WEB,
      runImageLayers: baseLayers.length,
    });
    expect(String(before.digest)).toMatch(/^sha256:/);

    // A --lifecycle-image that is not one: a usage error before the rebaser runs, nothing changed.
    const notLifecycle = await runCli([
      'rebase',
      ok,
      '--publish',
      '--run-image',
      runV2Ref,
      '--lifecycle-image',
      stackRun,
      '--json',
    ]);
    expect(notLifecycle.code, notLifecycle.stdout + notLifecycle.stderr).toBe(2);
    expect(notLifecycle.lines.at(-1)).toMatchObject({
      type: 'error',
      code: 'ERR_NOT_A_LIFECYCLE_IMAGE',
      message: expect.stringContaining(`${stackRun} (--lifecycle-image) is not a lifecycle image`),
    });
    expect(notLifecycle.lines.find((l) => l.type === 'phase.start')).toBeUndefined();
    expect((await inspect(ok, ['--registry'])).digest).toBe(before.digest);

    const run = await runCli(['rebase', ok, '--publish', '--run-image', runV2Ref, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.lines.find((l) => l.type === 'phase.start')).toMatchObject({
      phase: 'rebaser',
      image: 'buildpacksio/lifecycle:0.21.17',
    });
    const result = run.lines.find((l) => l.type === 'result');
    const after = await inspect(ok, ['--registry']);
    expect(after).toMatchObject({
      runImage: { image: runV2Ref, topLayer: v2Layers.at(-1) },
      rebasable: true,
    });
    expect(after.digest).not.toBe(before.digest);
    expect(result).toMatchObject({ digest: after.digest });
    await client.images.pull(ok);
    expect(await exec(ok, ['cat', MARKER])).toBe('v2\n');
    expect(await exec(ok, ['/usr/local/bin/run-tool'])).toContain('run-tool 1.0');

    const bad = await build(
      'pub-bad',
      unrebasable,
      ['--publish', '--run-image', runV1Ref],
      `${registry}/imgext-test/rebase-pub-bad:latest`,
    );
    expect(await inspect(bad, ['--registry'])).toMatchObject({
      rebasable: false,
      notRebasableBecause: ['imgext-samples/run-tool'],
    });
    const refused = await runCli(['rebase', bad, '--publish', '--run-image', runV2Ref, '--json']);
    expect(refused.code).toBe(1);
    expect(String(refused.lines.at(-1)?.message)).toContain('extension imgext-samples/run-tool');
    const forced = await runCli([
      'rebase',
      bad,
      '--publish',
      '--run-image',
      runV2Ref,
      '--force',
      '--json',
    ]);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(await inspect(bad, ['--registry'])).toMatchObject({
      runImage: { topLayer: v2Layers.at(-1) },
    });
  });
});
