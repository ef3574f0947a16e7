/**
 * Trusted builders, end to end against the real daemon: an untrusted builder (the default) never
 * runs the phases that get the daemon socket and registry credentials; a lifecycle image does.
 * The builder here is hostile: its analyzer, restorer and exporter are scripts that report whether
 * the daemon socket is mounted and fail. The lifecycle image is made locally from
 * $IMGEXT_LIFECYCLE_DIR as `buildpacksio/lifecycle:<version>` (Docker Hub cannot be reached).
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { packFiles } from '@imgext/lifecycle';
import { ensureLifecycleImage, lifecycleVersion } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, Made, runCli, runImage, SAMPLE_BUILDER, sampleApp } from './build-harness.js';

let client: EngineClient;
const made = new Made();
const hostile = 'imgext-test/hostile-builder:latest';
const noVersion = 'imgext-test/hostile-builder-lifecycle-9:latest';
let lifecycleImage: string;
let configDir: string;

const HOSTILE_PHASE = `#!/bin/sh
if [ -S /var/run/docker.sock ]; then echo "HOSTILE $0 GOT THE DAEMON SOCKET"; else echo "HOSTILE $0 ran without the socket"; fi
exit 66
`;

/** Wraps the sample buildpack's bin/detect and bin/build (detector and builder phases): no socket allowed. */
const GUARD = `#!/bin/sh
if [ -e /var/run/docker.sock ]; then echo "HOSTILE $0 GOT THE DAEMON SOCKET"; exit 66; fi
exec "$0.orig" "$@"
`;
const HELLO_BIN = '/cnb/buildpacks/imgext-samples_hello/0.0.1/bin';

/** A RUN step writing `text` (no single quotes) to `path`, executable. */
function writeFileStep(path: string, text: string): string {
  const lines = text.trimEnd().split('\n');
  if (lines.some((l) => l.includes("'"))) throw new Error('writeFileStep: no single quotes');
  return `RUN printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} > ${path} && chmod 755 ${path}`;
}

async function makeBuilder(tag: string, labels: Record<string, string> = {}): Promise<void> {
  made.image(tag);
  const dockerfile = [
    `FROM ${SAMPLE_BUILDER}`,
    'USER root',
    writeFileStep('/hostile', HOSTILE_PHASE),
    'RUN for p in analyzer restorer exporter; do rm /cnb/lifecycle/$p && cp /hostile /cnb/lifecycle/$p; done',
    writeFileStep('/guard', GUARD),
    `RUN for f in ${HELLO_BIN}/detect ${HELLO_BIN}/build; do mv $f $f.orig && cp /guard $f; done`,
    'USER 1000:1000',
    '',
  ].join('\n');
  await client.images.build(
    packFiles([{ path: 'Dockerfile', content: dockerfile }], { uid: 0, gid: 0 }),
    {
      tags: [tag],
      labels,
      networkMode: 'none',
    },
  );
}

beforeAll(async () => {
  client = await EngineClient.connect();
  lifecycleImage = await ensureLifecycleImage(client);
  await makeBuilder(hostile);
  const md = JSON.parse(
    (await client.images.inspect(SAMPLE_BUILDER)).Config?.Labels?.[
      'io.buildpacks.builder.metadata'
    ] ?? '{}',
  );
  md.lifecycle.version = '9.9.9';
  await makeBuilder(noVersion, { 'io.buildpacks.builder.metadata': JSON.stringify(md) });
  configDir = await mkdtemp(join(tmpdir(), 'imgext-config-'));
}, 120_000);

afterAll(async () => {
  await made.remove(client);
  if (configDir) await rm(configDir, { recursive: true, force: true });
  await client?.close();
});

async function build(name: string, builder: string, extra: string[], env = process.env) {
  const image = made.image(`imgext-test/trust-${name}:latest`);
  const app = made.dir(await sampleApp('build run'));
  const run = await runCli(
    ['build', image, '--builder', builder, '--path', app, '--json', ...extra],
    {
      env,
    },
  );
  const phaseImages = Object.fromEntries(
    run.lines
      .filter((l) => l.type === 'phase.start')
      .map((l) => [String(l.phase), String(l.image)]),
  );
  return { image, app, run, phaseImages };
}

describe('untrusted builders', () => {
  it(`by default the analyzer, restorer and exporter run in buildpacksio/lifecycle:<version>, never in the builder`, async () => {
    expect(lifecycleImage).toBe(`buildpacksio/lifecycle:${lifecycleVersion()}`);
    const { image, app, run, phaseImages } = await build('default', hostile, []);
    // A folder of mode 0700 (mkdtemp's): the CNB user still enters /workspace, podman too (its
    // volume root takes the owner and mode of the archive's top entry).
    expect((await stat(app)).mode & 0o777).toBe(0o700);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toContain('HOSTILE');
    for (const phase of ['analyzer', 'restorer', 'exporter'])
      expect(phaseImages[phase]).toBe(lifecycleImage);
    const lifecycleLine = run.lines.find((l) => l.type === 'lifecycle.image');
    expect(lifecycleLine).toMatchObject({
      image: lifecycleImage,
      source: 'default',
      builder: hostile,
    });
    expect(await runImage(client, image)).toContain('run image tool: run-tool 1.0');
    // The builder's own containers (detector, builder) ran the guarded buildpack: no socket there.
    const phases = run.lines
      .filter((l) => l.type === 'phase.end')
      .map((l) => [l.phase, l.exitCode]);
    // analyze and detect run side by side (the run image is in the daemon): either ends first.
    expect([...phases.slice(0, 2)].sort()).toEqual([
      ['analyzer', 0],
      ['detector', 0],
    ]);
    expect(phases.slice(2)).toEqual([
      ['restorer', 0],
      ['builder', 0],
      ['exporter', 0],
    ]);
  });

  it('--trust-builder: the builder runs them and gets the socket (the hostile analyzer fails the build)', async () => {
    const { run, phaseImages } = await build('trusted', hostile, ['--trust-builder']);
    expect(run.code).toBe(1);
    expect(phaseImages.analyzer).not.toBe(lifecycleImage);
    expect(run.stdout).toContain('HOSTILE /cnb/lifecycle/analyzer GOT THE DAEMON SOCKET');
  });

  it('trusted-builders in the config file trusts the builder as --trust-builder does', async () => {
    const config = join(configDir, 'config.toml');
    await writeFile(config, `[[trusted-builders]]\nname = "${hostile.replace(/:latest$/, '')}"\n`);
    const { run } = await build('config', hostile, [], { ...process.env, IMGEXT_CONFIG: config });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('HOSTILE /cnb/lifecycle/analyzer GOT THE DAEMON SOCKET');
    await writeFile(config, '[[trusted-builders]]\nname = "someone/else"\n');
    const other = await build('config-other', hostile, [], {
      ...process.env,
      IMGEXT_CONFIG: config,
    });
    expect(other.run.code, other.run.stdout).toBe(0);
  });

  it('no lifecycle image to be had: a clear error naming --lifecycle-image and --trust-builder, nothing run', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const { image, run } = await build('none', noVersion, ['--pull-policy', 'never']);
    expect(run.code).toBe(1);
    const error = run.lines.find((l) => l.type === 'error');
    expect(error).toMatchObject({ code: 'ERR_NO_LIFECYCLE_IMAGE' });
    expect(String(error?.message)).toContain('buildpacksio/lifecycle:9.9.9');
    expect(String(error?.hint)).toContain('--lifecycle-image');
    expect(String(error?.hint)).toContain('--trust-builder');
    expect(run.lines.some((l) => l.type === 'phase.start')).toBe(false);
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events: string[] = [];
    for await (const e of client.events({
      since: String(since),
      until: String(until),
      filters: { label: [`io.imgext.build=${image}`] },
    })) {
      events.push(`${e.Type} ${e.Action}`);
    }
    expect(events).toEqual([]);
    expect(await leftovers(client, image)).toEqual({ containers: 0, volumes: 0, image: false });
  });
});
