// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax, not a template
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { MetadataError } from '@imgext/metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILD_IMAGE,
  buildDockerfile,
  CLEANUP_TIMEOUT,
  dockerHostBuilders,
  Leftovers,
  readFileInImage,
  removeTree,
  tempTree,
} from '../test/helpers.js';
import { baseTagFor } from './builders/base-tags.js';
import { ExtenderError } from './errors.js';
import type { ExtenderEvent } from './events.js';
import { extend } from './extend.js';
import { retireSuperseded } from './retire-superseded.js';
import { runSchedule, ScheduleError } from './scheduler.js';

const engine = new EngineClient();
const left = new Leftovers(engine);
const run = Math.random().toString(36).slice(2, 8);
/** A base unique to this run, so ancestor filters see only this suite's containers. */
const base = `imgext-test/extender-base:${run}`;

beforeAll(async () => {
  const dir = await tempTree({});
  left.dirs.add(dir);
  const { buildContext } = await import('./build-context.js');
  await engine.images.build(
    buildContext({ dockerfile: `FROM ${BUILD_IMAGE}\nLABEL imgext-test.run=${run}\n` }),
    { dockerfile: '.imgext.Dockerfile', tags: [base], networkMode: 'none' },
  );
  left.refs.add(base);
  left.labels.add(`imgext-test.run=${run}`);
});

afterAll(async () => {
  await left.cleanup();
  await engine.close();
}, CLEANUP_TIMEOUT);

async function generated(files: Record<string, string>): Promise<string> {
  const dir = await tempTree(files);
  left.dirs.add(dir);
  return dir;
}

/** PIDs of this machine's processes whose command line contains `text`. */
async function processesWith(text: string): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p) && p !== String(process.pid));
  const found: string[] = [];
  for (const pid of pids) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.replaceAll('\0', ' ').includes(text)) found.push(pid);
  }
  return found;
}

async function waitFor(done: () => Promise<boolean>, tries = 100): Promise<void> {
  for (let i = 0; i < tries && !(await done()); i++) await new Promise((r) => setTimeout(r, 100));
}

async function ourContainers(): Promise<string[]> {
  const list = await engine.containers.list({ all: true, filters: { ancestor: [base] } });
  return list.map((c) => c.Id);
}

const builders = dockerHostBuilders();

describe.each(builders)('build-image extension through the daemon with %s', (builder) => {
  it('applies a chain of three in group order with base_image, build_id, user and extend-config args', async () => {
    const dir = await generated({
      'imgext-test_a/build.Dockerfile': buildDockerfile(
        'ARG build_id',
        'ARG user_id',
        'ARG group_id',
        'USER root',
        'RUN mkdir -p /opt && echo "$user_id:$group_id $build_id" > /opt/a',
        'USER 1000:1000',
      ),
      'imgext-test_b/build.Dockerfile': buildDockerfile(
        'ARG flavour',
        'ARG build_id',
        'USER root',
        'RUN cat /opt/a > /opt/b && echo "$flavour $build_id" >> /opt/b',
        'USER 1000:1000',
      ),
      'imgext-test_b/extend-config.toml': '[[build.args]]\nname = "flavour"\nvalue = "mint"\n',
      'imgext-test_c/build.Dockerfile': buildDockerfile('ENV IMGEXT_C=yes'),
    });
    const events: ExtenderEvent[] = [];
    const result = await extend({
      builder,
      engine,
      kind: 'build',
      generatedDir: dir,
      platformApi: '0.13',
      order: ['imgext-test/a', 'imgext-test/b', 'imgext-test/c'],
      baseImage: base,
      networkMode: 'none',
      onEvent: (e) => events.push(e),
    });
    left.chain('build', result);
    expect(result.applied.map((a) => a.extension)).toEqual([
      'imgext-test/a',
      'imgext-test/b',
      'imgext-test/c',
    ]);
    const [a, b] = (await readFileInImage(engine, result.imageId, '/opt/b')).trim().split('\n');
    const [user, buildIdA] = a!.split(' ');
    expect(user).toBe('1000:1000');
    const [flavour, buildIdB] = b!.split(' ');
    expect(flavour).toBe('mint');
    expect(buildIdA).toMatch(/^[0-9a-f-]{36}$/);
    expect(buildIdB).toMatch(/^[0-9a-f-]{36}$/);
    expect(buildIdA).not.toBe(buildIdB);
    const inspect = await engine.images.inspect(result.imageId);
    expect(inspect.Config?.Env).toContain('IMGEXT_C=yes');
    expect(inspect.Config?.User).toBe('1000:1000');
    expect(result.rebasable).toBeUndefined();
    expect(events.filter((e) => e.type === 'extension.applied')).toHaveLength(3);
  });

  it('hits the build cache on a second run for the steps before ARG build_id', async () => {
    const dir = await generated({
      'imgext-test_cache/build.Dockerfile': buildDockerfile(
        'USER root',
        'RUN mkdir -p /opt && echo cached > /opt/cached',
        'ARG build_id',
        'RUN echo "$build_id" > /opt/fresh',
        'USER 1000:1000',
      ),
    });
    const opts = {
      engine,
      kind: 'build' as const,
      generatedDir: dir,
      platformApi: '0.13',
      baseImage: base,
      networkMode: 'none',
    };
    const first = await extend(opts);
    left.chain('build', first);
    const firstFresh = await readFileInImage(engine, first.imageId, '/opt/fresh');
    const second = await extend(opts);
    left.chain('build', second);
    // USER root and RUN echo cached come from the cache; ARG build_id and after are rebuilt.
    expect(second.applied[0]!.cacheHits).toBeGreaterThanOrEqual(2);
    expect(await readFileInImage(engine, second.imageId, '/opt/cached')).toBe('cached\n');
    expect(await readFileInImage(engine, second.imageId, '/opt/fresh')).not.toBe(firstFresh);
    // The cache tag moved on: the first result, which nothing else holds, is superseded.
    expect(second.superseded.map((x) => x.imageId)).toEqual([first.imageId]);
    await retireSuperseded(engine, second);
    expect(await engine.images.find(first.imageId)).toBeUndefined();
  });

  it('sends context.build, else context, else the app dir, and only the Dockerfile when nothing is copied', async () => {
    const app = await generated({ 'app.txt': 'from-app\n' });
    const dir = await generated({
      'imgext-test_specific/build.Dockerfile': buildDockerfile('COPY f.txt /opt/specific'),
      'imgext-test_specific/context.build/f.txt': 'from-context.build\n',
      'imgext-test_specific/context.run/f.txt': 'wrong\n',
      'imgext-test_shared/build.Dockerfile': buildDockerfile('COPY f.txt /opt/shared'),
      'imgext-test_shared/context/f.txt': 'from-context\n',
      'imgext-test_app/build.Dockerfile': buildDockerfile('COPY . /opt/app/'),
      'imgext-test_none/build.Dockerfile': buildDockerfile('RUN ls -a / > /tmp/none'),
    });
    const result = await extend({
      builder,
      engine,
      kind: 'build',
      generatedDir: dir,
      platformApi: '0.13',
      order: ['imgext-test/specific', 'imgext-test/shared', 'imgext-test/app', 'imgext-test/none'],
      baseImage: base,
      appDir: app,
      networkMode: 'none',
    });
    left.chain('build', result);
    expect(await readFileInImage(engine, result.imageId, '/opt/specific')).toBe(
      'from-context.build\n',
    );
    expect(await readFileInImage(engine, result.imageId, '/opt/shared')).toBe('from-context\n');
    expect(await readFileInImage(engine, result.imageId, '/opt/app/app.txt')).toBe('from-app\n');
    // Our Dockerfile and .dockerignore do not leak into a COPY of `.`.
    await expect(
      readFileInImage(engine, result.imageId, '/opt/app/.imgext.Dockerfile'),
    ).rejects.toThrow();
  });

  it('fails on a failing RUN naming extension, line and step, leaving no container', async () => {
    const dir = await generated({
      'imgext-test_ok/build.Dockerfile': buildDockerfile('ENV OK=1'),
      'imgext-test_boom/build.Dockerfile': buildDockerfile(
        'ENV A=1',
        'RUN echo about to fail && exit 3',
      ),
    });
    const err = await extend({
      builder,
      engine,
      kind: 'build',
      generatedDir: dir,
      platformApi: '0.13',
      order: ['imgext-test/ok', 'imgext-test/boom'],
      baseImage: base,
      networkMode: 'none',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExtenderError);
    const e = err as ExtenderError;
    expect(e.code).toBe('ERR_EXTENSION_BUILD_FAILED');
    expect(e.extension).toBe('imgext-test/boom');
    expect(e.message).toContain('imgext-test/boom');
    expect(e.message).toContain('build.Dockerfile:4');
    expect(e.step).toMatch(/RUN echo about to fail/);
    left.step('build', 'imgext-test/ok', (await engine.images.inspect(base)).Id);
    expect(await ourContainers()).toEqual([]);
  });

  it('rejects malformed Dockerfiles before building, naming extension and line', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        'FROM ${base_image}\nRUN true\n',
        /imgext-test_bad.*:1: build.Dockerfile did not start with required ARG/,
      ],
      ['ARG base_image\nFROM busybox\n', /:2: build.Dockerfile did not contain required FROM/],
      ['ARG base_image\nFROM ${base_image}\nRUN true\nFROM ${base_image}\n', /:4: .*multistage/],
    ];
    for (const [text, message] of cases) {
      const dir = await generated({ 'imgext-test_bad/build.Dockerfile': text });
      const err = await extend({
        builder,
        engine,
        kind: 'build',
        generatedDir: dir,
        platformApi: '0.13',
        baseImage: base,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MetadataError);
      expect((err as MetadataError).code).toBe('ERR_DOCKERFILE_INVALID');
      expect((err as Error).message).toMatch(message);
    }
  });

  it('cancels in the middle of a chain, stopping the running step, and leaves no container behind', async () => {
    // The step's shell, found by its command line once the build is cancelled (the engines run
    // on this machine): BuildKit runs steps without containers, so this is what shows it stopped.
    const marker = `imgext-cancel-${run}-${builder}`;
    const dir = await generated({
      'imgext-test_first/build.Dockerfile': buildDockerfile('ENV FIRST=1'),
      'imgext-test_slow/build.Dockerfile': buildDockerfile(`RUN sleep 30 && echo ${marker}`),
      'imgext-test_never/build.Dockerfile': buildDockerfile('ENV NEVER=1'),
    });
    const controller = new AbortController();
    const started = Date.now();
    const err = await extend({
      builder,
      engine,
      kind: 'build',
      generatedDir: dir,
      platformApi: '0.13',
      order: ['imgext-test/first', 'imgext-test/slow', 'imgext-test/never'],
      baseImage: base,
      networkMode: 'none',
      signal: controller.signal,
      onEvent: (e) => {
        const running =
          (e.type === 'extension.output' && e.text.includes('Running in')) ||
          (e.type === 'extension.vertex' && e.state === 'started' && e.name.includes('sleep 30'));
        if (running && e.extension === 'imgext-test/slow') {
          // Abort once the step's shell is up, so the cancel has a running step to stop.
          void waitFor(() => processesWith(marker).then((p) => p.length > 0)).then(() =>
            controller.abort(),
          );
        }
      },
    }).catch((e: unknown) => e);
    expect((err as ExtenderError).code).toBe('ERR_CANCELLED');
    expect((err as ExtenderError).extension).toBe('imgext-test/slow');
    expect(Date.now() - started).toBeLessThan(20_000);
    left.step('build', 'imgext-test/first', (await engine.images.inspect(base)).Id);
    // The daemon removes the aborted build's container on its own; give it a moment.
    for (let i = 0; i < 50 && (await ourContainers()).length > 0; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect(await ourContainers()).toEqual([]);
    await waitFor(() => processesWith(marker).then((p) => p.length === 0));
    expect(await processesWith(marker)).toEqual([]);
  });

  it('runs branches in parallel; the first failure cancels the sibling build and is the root cause', async () => {
    const slow = await generated({
      'imgext-test_sleepy/build.Dockerfile': buildDockerfile('RUN sleep 30'),
    });
    const failing = await generated({
      'imgext-test_fails/build.Dockerfile': buildDockerfile('RUN sleep 1 && exit 7'),
    });
    const branch = (dir: string) => (signal: AbortSignal) =>
      extend({
        builder,
        engine,
        kind: 'build',
        generatedDir: dir,
        platformApi: '0.13',
        baseImage: base,
        networkMode: 'none',
        signal,
      });
    const started = Date.now();
    const err = await runSchedule([
      { id: 'extend-build', run: branch(slow) },
      { id: 'build', after: ['extend-build'], run: async () => 'never runs' },
      { id: 'extend-run', run: branch(failing) },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScheduleError);
    const s = err as ScheduleError;
    expect(s.task).toBe('extend-run');
    expect((s.rootCause as ExtenderError).code).toBe('ERR_EXTENSION_BUILD_FAILED');
    expect(s.rootCause.message).toContain('imgext-test_fails');
    expect(s.cancelled.sort()).toEqual(['build', 'extend-build']);
    expect(Date.now() - started).toBeLessThan(20_000);
    // Both branches named the one base by one shared tag (BuildKit), gone once both ended.
    expect(
      await engine.images.find(baseTagFor((await engine.images.inspect(base)).Id)),
    ).toBeUndefined();
    for (let i = 0; i < 50 && (await ourContainers()).length > 0; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect(await ourContainers()).toEqual([]);
  });

  it('warns when the build image ends as root', async () => {
    const dir = await generated({
      'imgext-test_root/build.Dockerfile': buildDockerfile('USER root'),
    });
    const result = await extend({
      builder,
      engine,
      kind: 'build',
      generatedDir: dir,
      platformApi: '0.13',
      baseImage: base,
    });
    left.chain('build', result);
    expect(result.warnings.some((w) => w.includes('ends as root'))).toBe(true);
  });

  it('runs no credential helper for a Dockerfile built FROM ${base_image} (a local image)', async () => {
    const config = await generated({ 'config.json': JSON.stringify({ credsStore: 'recorder' }) });
    const calls = join(config, 'calls');
    const helper = join(config, 'bin', 'docker-credential-recorder');
    mkdirSync(dirname(helper), { recursive: true });
    writeFileSync(
      helper,
      `#!/bin/sh\nprintf '%s %s\\n' "$1" "$(cat)" >> '${calls}'\n[ "$1" = list ] && echo '{}' && exit 0\necho 'credentials not found'; exit 1\n`,
    );
    chmodSync(helper, 0o755);
    const recorded = new EngineClient({
      configDir: config,
      env: { ...process.env, PATH: `${dirname(helper)}:${process.env.PATH}` },
    });
    try {
      const dir = await generated({
        'imgext-test_creds/build.Dockerfile': buildDockerfile('RUN true'),
      });
      const result = await extend({
        builder,
        engine: recorded,
        kind: 'build',
        generatedDir: dir,
        platformApi: '0.13',
        baseImage: base,
      });
      left.chain('build', result);
      // the helper works: asked directly, it is run
      expect(await recorded.authFor('r.example.com/x')).toBeUndefined();
      expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['get r.example.com']);
    } finally {
      await recorded.close();
    }
  });

  it('reads the < 0.13 layout (build/<id>/Dockerfile)', async () => {
    const app = await generated({ 'app.txt': 'old-layout-app\n' });
    const dir = await generated({
      'build/imgext-test_old/Dockerfile': buildDockerfile('COPY app.txt /opt/old'),
      'build/imgext-test_old/extend-config.toml': '[[build.args]]\nname="x"\nvalue="y"\n',
    });
    const result = await extend({
      builder,
      engine,
      kind: 'build',
      generatedDir: dir,
      platformApi: '0.12',
      baseImage: base,
      appDir: app,
      networkMode: 'none',
    });
    left.chain('build', result);
    expect(await readFileInImage(engine, result.imageId, '/opt/old')).toBe('old-layout-app\n');
  });
});

afterAll(async () => {
  // Directories are removed by Leftovers; this guards against a test forgetting one.
  for (const d of left.dirs) await removeTree(d);
});
