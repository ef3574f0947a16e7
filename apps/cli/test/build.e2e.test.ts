/**
 * `imgext build` end to end: the sample builder (tools/env up makes it), the real lifecycle, the
 * daemon at $DOCKER_HOST. Each test selects sample extensions through the app's
 * `sample-extensions` file, builds, runs the image and checks what the extensions added.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { packFiles } from '@imgext/lifecycle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildSummary } from '../src/commands/build.js';
import {
  buildArgv,
  cacheVolumesOf,
  leftovers,
  Made,
  runCli,
  runImage,
  SAMPLE_BUILDER,
  sampleApp,
} from './build-harness.js';

let client: EngineClient;
const made = new Made();

beforeAll(async () => {
  client = await EngineClient.connect();
});

afterAll(async () => {
  await made.remove(client);
  await client?.close();
});

async function build(
  name: string,
  words: string,
  extra: string[] = [],
  image = `imgext-test/build-${name}:latest`,
) {
  made.image(image);
  const app = await sampleApp(words);
  made.dir(app);
  const run = await runCli(buildArgv(image, app, extra));
  return { image, run };
}

function result(run: { lines: Array<Record<string, unknown>> }) {
  return run.lines.find((l) => l.type === 'result') as BuildSummary | undefined;
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

  it('only a run extension: the image has the tool, names the ORIGINAL run image, is rebasable', async () => {
    const { image, run } = await build('only-run', 'run');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = await runImage(client, image);
    expect(out).toContain('run image tool: run-tool 1.0 (installed by imgext-samples/run-tool)');
    expect(out).toContain('built with: no build-tool in the build image');
    const base = await client.images.inspect(
      process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run',
    );
    const built = await client.images.inspect(image);
    const md = JSON.parse(built.Config?.Labels?.['io.buildpacks.lifecycle.metadata'] ?? '{}');
    expect(md.runImage.topLayer).toBe(base.RootFS.Layers?.at(-1));
    expect(built.Config?.Labels?.['io.buildpacks.rebasable']).toBe('true');
    // The run image's layers, then the extension's, then the app's.
    expect(built.RootFS.Layers?.slice(0, base.RootFS.Layers?.length)).toEqual(base.RootFS.Layers);
    const history = await client.images.history(image);
    expect(
      history.some((h) => h.CreatedBy.includes('Created by extension: imgext-samples/run-tool')),
    ).toBe(true);
  });

  it('no extension: a plain build', async () => {
    const { image, run } = await build('none', '');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = await runImage(client, image);
    expect(out).toContain('greeting: Hello from the imgext sample app');
    expect(out).toContain('run image tool: none');
    expect(out).toContain('run image: imgext.local/stack/busybox:run');
    expect(result(run)?.extensions).toEqual([]);
  });

  it('a run-image switch: the image is based on run-alt', async () => {
    const { image, run } = await build('switch', 'switch');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = await runImage(client, image);
    expect(out).toContain('run image: imgext.local/stack/busybox:run-alt');
    expect(out).toContain('run image tool: none');
    const alt = await client.images.inspect('imgext.local/stack/busybox:run-alt');
    const md = JSON.parse(
      (await client.images.inspect(image)).Config?.Labels?.['io.buildpacks.lifecycle.metadata'] ??
        '{}',
    );
    expect(md.runImage.topLayer).toBe(alt.RootFS.Layers?.at(-1));
  });

  it('switch + extend: run-alt with the run tool on top', async () => {
    const { image, run } = await build('switch-extend', 'switch run');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = await runImage(client, image);
    expect(out).toContain('run image: imgext.local/stack/busybox:run-alt');
    expect(out).toContain('run image tool: run-tool 1.0');
  });

  it('several extensions: build, switch and run at once, in two parallel branches', async () => {
    const { image, run } = await build('several', 'build switch run');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = await runImage(client, image);
    expect(out).toContain('built with: build-tool 1.0');
    expect(out).toContain('run image: imgext.local/stack/busybox:run-alt');
    expect(out).toContain('run image tool: run-tool 1.0');
    const branches = run.lines.filter((l) => l.type === 'branch.start').map((l) => l.task);
    expect(branches).toEqual(expect.arrayContaining(['extend-build', 'build', 'extend-run']));
    expect(result(run)?.extensions).toEqual([
      'imgext-samples/build-tool',
      'imgext-samples/switch-run',
      'imgext-samples/run-tool',
    ]);
  });

  it('a rebuild reuses the caches: the build cache volume and the daemon build cache; --clear-cache empties it', async () => {
    const builderLog = (r: { lines: Array<Record<string, unknown>> }) =>
      r.lines.filter((l) => l.type === 'log' && l.source === 'builder').map((l) => String(l.text));
    const first = await build('rebuild', 'build');
    expect(first.run.code, first.run.stdout + first.run.stderr).toBe(0);
    expect(builderLog(first.run)).toContain(
      'hello: build number 1 of this app (from the build cache)',
    );
    const second = await build('rebuild', 'build');
    expect(second.run.code, second.run.stdout + second.run.stderr).toBe(0);
    expect(builderLog(second.run)).toContain(
      'hello: build number 2 of this app (from the build cache)',
    );
    const applied = second.run.lines.find((l) => l.type === 'extension.applied') as
      | Record<string, number>
      | undefined;
    expect(applied?.cacheHits).toBeGreaterThan(0);
    // build_id makes every build's extended build image new: the one before is not kept.
    const extendedImage = (r: typeof first) => result(r.run)?.buildImage?.imageId;
    expect(extendedImage(first)).toMatch(/^sha256:/);
    expect(extendedImage(second)).not.toBe(extendedImage(first));
    expect(await client.images.find(extendedImage(first)!)).toBeUndefined();
    expect(await client.images.find(extendedImage(second)!)).toBeDefined();
    const third = await build('rebuild', 'build', ['--clear-cache']);
    expect(third.run.code, third.run.stdout + third.run.stderr).toBe(0);
    expect(builderLog(third.run)).toContain(
      'hello: build number 1 of this app (from the build cache)',
    );
  });

  it('a failing buildpack: exit code 1, the phase named, nothing left behind', async () => {
    const { image, run } = await build('fail-buildpack', 'fail-buildpack');
    expect(run.code).toBe(1);
    const error = run.lines.find((l) => l.type === 'error');
    expect(error?.code).toBe('ERR_PHASE_FAILED');
    expect(String(error?.message)).toContain('builder failed');
    expect(await leftovers(client, image)).toEqual({ containers: 0, volumes: 0, image: false });
    // A first build that failed: the cache volumes it created went with it.
    expect(await cacheVolumesOf(client, image)).toEqual([]);
  });

  it('a failing extension Dockerfile: exit code 1, the extension named, nothing left behind', async () => {
    const { image, run } = await build('broken', 'broken');
    expect(run.code).toBe(1);
    const error = run.lines.find((l) => l.type === 'error');
    expect(error?.code).toBe('ERR_EXTENSION_BUILD_FAILED');
    expect(String(error?.message)).toContain('imgext-samples/broken');
    expect(await leftovers(client, image)).toEqual({ containers: 0, volumes: 0, image: false });
    expect(await cacheVolumesOf(client, image)).toEqual([]);
  });

  it('a builder that does not exist: exit code 1 with a clear code', async () => {
    const missing = `${process.env.IMGEXT_REGISTRY ?? '127.0.0.1:5000'}/imgext-test/no-such-builder:latest`;
    const run = await runCli(['build', 'imgext-test/never:latest', '--builder', missing, '--json']);
    expect(run.code).toBe(1);
    expect(run.lines.find((l) => l.type === 'error')?.code).toBe('ERR_BUILDER_NOT_FOUND');
  });

  it('an image that is not a builder: exit code 1 with a clear code', async () => {
    const notBuilder = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
    const run = await runCli([
      'build',
      'imgext-test/never:latest',
      '--builder',
      notBuilder,
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.lines.find((l) => l.type === 'error')?.code).toBe('ERR_NOT_A_BUILDER');
  });

  it('a usage error: exit code 2', async () => {
    const run = await runCli(['build', 'imgext-test/never:latest', '--json']);
    expect(run.code).toBe(2);
  });

  it('SIGINT mid-build: nothing of the build is left in the daemon', async () => {
    const image = 'imgext-test/build-sigint:latest';
    made.image(image);
    const app = await sampleApp('build run');
    made.dir(app);
    const controller = new AbortController();
    const run = await runCli(buildArgv(image, app), {
      signal: controller.signal,
      onLine: (l) => {
        // Mid-build: the daemon is applying an extension, both branches in flight.
        if (l.type === 'extension.start') controller.abort(new Error('SIGINT'));
      },
    });
    expect(run.code).toBe(130);
    expect(await leftovers(client, image)).toEqual({ containers: 0, volumes: 0, image: false });
  });

  it('--publish: exports to the local registry', async () => {
    const registry = process.env.IMGEXT_REGISTRY ?? '127.0.0.1:5000';
    const runRef = `${registry}/imgext-test/publish-run:latest`;
    const stackRun = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
    await client.images.tag(stackRun, `${registry}/imgext-test/publish-run`, 'latest');
    made.image(runRef);
    await client.images.push(runRef);
    const image = `${registry}/imgext-test/publish-app:latest`;
    const { run } = await build('publish', 'build', ['--publish', '--run-image', runRef], image);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const res = await fetch(`http://${registry}/v2/imgext-test/publish-app/manifests/latest`, {
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    expect(res.status).toBe(200);
    const manifest = (await res.json()) as { layers: unknown[] };
    expect(manifest.layers.length).toBeGreaterThan(3);
    await client.images.pull(image);
    expect(await runImage(client, image)).toContain('built with: build-tool 1.0');
  });

  it('--publish with a run-image extension: the layout goes on the registry run image', async () => {
    const registry = process.env.IMGEXT_REGISTRY ?? '127.0.0.1:5000';
    const runRef = `${registry}/imgext-test/publish-ext-run:latest`;
    const stackRun = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
    await client.images.tag(stackRun, `${registry}/imgext-test/publish-ext-run`, 'latest');
    made.image(runRef);
    await client.images.push(runRef);
    const runTop = (await client.images.inspect(runRef)).RootFS.Layers?.at(-1);
    const image = `${registry}/imgext-test/publish-ext-app:latest`;
    const { run } = await build(
      'publish-ext',
      'build run',
      ['--publish', '--run-image', runRef],
      image,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    await client.images.pull(image);
    const out = await runImage(client, image);
    expect(out).toContain('built with: build-tool 1.0');
    expect(out).toContain('run image tool: run-tool 1.0');
    const labels = (await client.images.inspect(image)).Config?.Labels ?? {};
    const md = JSON.parse(labels['io.buildpacks.lifecycle.metadata'] ?? '{}');
    expect(md.runImage.topLayer).toBe(runTop);
    expect(md.runImage.reference).toContain('imgext-test/publish-ext-run');
  });

  it('a builder whose lifecycle offers only platform API 0.10-0.12: the old generated layout, experimental mode', async () => {
    const md = JSON.parse(
      (await client.images.inspect(SAMPLE_BUILDER)).Config?.Labels?.[
        'io.buildpacks.builder.metadata'
      ] ?? '{}',
    );
    md.lifecycle.apis.platform.supported = ['0.10', '0.11', '0.12'];
    const builder = 'imgext-test/builder-api-0.12:latest';
    made.image(builder);
    await client.images.build(
      packFiles([{ path: 'Dockerfile', content: `FROM ${SAMPLE_BUILDER}\n` }], { uid: 0, gid: 0 }),
      {
        tags: [builder],
        labels: { 'io.buildpacks.builder.metadata': JSON.stringify(md) },
        networkMode: 'none',
      },
    );
    const image = 'imgext-test/build-api-0.12:latest';
    made.image(image);
    const app = await sampleApp('build switch run');
    made.dir(app);
    const run = await runCli([
      'build',
      image,
      '--builder',
      builder,
      '--path',
      app,
      '--trust-builder',
      '--json',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(result(run)?.platformApi).toBe('0.12');
    const detectorLog = run.lines
      .filter((l) => l.type === 'log' && l.source === 'detector')
      .map((l) => l.text);
    expect(detectorLog.join('\n')).toContain(
      "Platform requested experimental feature 'Dockerfiles'",
    );
    const out = await runImage(client, image);
    expect(out).toContain('built with: build-tool 1.0');
    expect(out).toContain('run image: imgext.local/stack/busybox:run-alt');
    expect(out).toContain('run image tool: run-tool 1.0');
  });

  it('--lifecycle-image: the phases that get the daemon socket run in it, the others in the builder', async () => {
    const lifecycleImage = 'imgext-test/lifecycle-image:latest';
    made.image(lifecycleImage);
    const stackBuild = process.env.IMGEXT_STACK_BUILD_IMAGE ?? 'imgext.local/stack/busybox:build';
    // Made by hand, without the lifecycle's labels: taken because it holds /cnb/lifecycle.
    const dockerfile = `FROM ${SAMPLE_BUILDER} AS builder\nFROM ${stackBuild}\nCOPY --from=builder /cnb/lifecycle /cnb/lifecycle\n`;
    await client.images.build(
      packFiles([{ path: 'Dockerfile', content: dockerfile }], { uid: 0, gid: 0 }),
      {
        tags: [lifecycleImage],
        networkMode: 'none',
      },
    );
    const { image, run } = await build('lifecycle-image', 'build switch run', [
      '--lifecycle-image',
      lifecycleImage,
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const images = Object.fromEntries(
      run.lines
        .filter((l) => l.type === 'phase.start')
        .map((l) => [String(l.phase), String(l.image)]),
    );
    for (const phase of ['analyzer', 'restorer', 'exporter'])
      expect(images[phase]).toBe(lifecycleImage);
    for (const phase of ['detector', 'builder']) expect(images[phase]).not.toBe(lifecycleImage);
    expect(await runImage(client, image)).toContain('run image tool: run-tool 1.0');
    // The lifecycle image has no /cnb/run.toml: the exporter read the builder's from -run, and
    // recorded the run image as it does in the builder (the switched-to one, as pack records it).
    const md = JSON.parse(
      (await client.images.inspect(image)).Config?.Labels?.['io.buildpacks.lifecycle.metadata'] ??
        '{}',
    );
    expect(md.runImage.image).toBe('imgext.local/stack/busybox:run-alt');
  });

  it('--env-file and --env reach the platform env (/platform/env), --env winning', async () => {
    const dir = await sampleApp('');
    made.dir(dir);
    const envFile = join(dir, 'build.env');
    await writeFile(
      envFile,
      '# the sample reads SAMPLE_EXTENSIONS from the platform env\nSAMPLE_EXTENSIONS=fail-buildpack\n',
    );
    const { image, run } = await build('env', '', [
      '--env-file',
      envFile,
      '--env',
      'SAMPLE_EXTENSIONS=run',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await runImage(client, image)).toContain('run image tool: run-tool 1.0');
    await writeFile(envFile, '1BAD=x\n');
    const bad = await build('env', '', ['--env-file', envFile]);
    expect(bad.run.code).toBe(2);
  });

  it('project.toml: builder, env, exclude and group are honoured; modes are kept exactly; the upload reports progress', async () => {
    const image = 'imgext-test/build-descriptor:latest';
    made.image(image);
    const app = await sampleApp('');
    made.dir(app);
    await writeFile(
      join(app, 'project.toml'),
      `[_]
schema-version = "0.2"
id = "imgext-test.descriptor"

[io.buildpacks]
builder = "${SAMPLE_BUILDER}"
exclude = [".git", "node_modules/", "*.log"]

[[io.buildpacks.group]]
id = "imgext-samples/hello"

[[io.buildpacks.build.env]]
name = "SAMPLE_EXTENSIONS"
value = "run"
`,
    );
    for (const dir of ['.git/objects', 'node_modules/dep', 'src']) {
      await mkdir(join(app, dir), { recursive: true });
    }
    await writeFile(join(app, '.git/objects/a'), 'git object');
    await writeFile(join(app, 'node_modules/dep/index.js'), 'dep');
    await writeFile(join(app, 'debug.log'), 'log');
    const modes: Record<string, number> = { 'owner-read': 0o400, exec: 0o751, setgid: 0o2755 };
    for (const [name, mode] of Object.entries(modes)) {
      await writeFile(join(app, 'src', name), name);
      await chmod(join(app, 'src', name), mode);
    }
    // Mode 000 is kept too (it was sent as 0644, readable by all): the lifecycle's exporter, which
    // runs as the CNB user, then cannot read the file and names it.
    await writeFile(join(app, 'src/none'), 'unreadable');
    await chmod(join(app, 'src/none'), 0o000);
    const locked = await runCli(['build', image, '--path', app, '--trust-builder', '--json']);
    expect(locked.code).toBe(1);
    expect(locked.stdout).toMatch(/\/workspace\/src\/none.*permission denied/);
    await rm(join(app, 'src/none'));
    // No --builder: the descriptor's.
    const run = await runCli(['build', image, '--path', app, '--trust-builder', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await runImage(client, image)).toContain('run image tool: run-tool 1.0'); // its env
    // The group is the build's order (an id on the builder): no warning about it.
    expect(run.lines.filter((l) => l.type === 'warning')).toEqual([]);
    const start = run.lines.find((l) => l.type === 'upload.start') as Record<string, unknown>;
    // greeting.txt, sample-extensions, project.toml and the 3 in src/
    expect(start).toMatchObject({ totalFiles: 6, excluded: 3 });
    const done = run.lines.find((l) => l.type === 'upload.done') as Record<string, unknown>;
    expect(done).toMatchObject({ files: 6, bytes: start.totalBytes });
    const inside = await shellIn(
      image,
      "cd /workspace && find . | sort && stat -c '%a %n' src/owner-read src/exec src/setgid",
    );
    expect(inside).not.toMatch(/\.git|node_modules|debug\.log/);
    expect(inside).toContain('./greeting.txt');
    expect(inside).toContain('400 src/owner-read');
    expect(inside).toContain('751 src/exec');
    expect(inside).toContain('2755 src/setgid');
    const missing = await runCli(buildArgv(image, app, ['--descriptor', join(app, 'nope.toml')]));
    expect(missing.code).toBe(2);
    expect(missing.stderr + missing.stdout).toContain('nope.toml');
  });
});

/** Output of `sh -c script` in `image` (its entrypoint replaced), as root. */
async function shellIn(image: string, script: string): Promise<string> {
  let out = '';
  const { exitCode } = await client.containers.run(
    {
      Image: image,
      Entrypoint: ['sh', '-c', script],
      User: '0:0',
      HostConfig: { NetworkMode: 'none' },
    },
    { onOutput: (c) => (out += c.data.toString()) },
  );
  if (exitCode !== 0) throw new Error(`${script} exited with ${exitCode}: ${out}`);
  return out;
}
