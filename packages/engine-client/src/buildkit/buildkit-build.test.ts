import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUILD_IMAGE,
  prng,
  randomBytes,
  removeImagesOf,
  testEngines,
  unique,
  waitUntil,
} from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBasicAuthRegistry } from '../../test/basic-auth-registry.js';
import { DockerConfigDir } from '../../test/connection/docker-config-dir.js';
import type { BuildOptions, BuildProgressEvent, DirectoryContext } from '../api.js';
import { EngineClient } from '../client.js';
import { AbortedError, BuildError, BuildkitUnavailableError } from '../errors.js';

/** The lines a RUN printed that start with `prefix`, without it. */
function printed(transcript: string[], prefix: string): string[] {
  return transcript
    .filter((l) => l.startsWith(`${prefix} `))
    .map((l) => l.slice(prefix.length + 1));
}

/** Processes on this machine whose command line contains `marker` (the engines run here). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const engines = testEngines();
const REGISTRY = process.env.IMGEXT_REGISTRY ?? '127.0.0.1:5000';

describe.each(engines.filter((e) => !e.podman))('BuildKit builds on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const repo = `imgext-test/${unique('buildkit')}`;
  let dir: string;
  const big = randomBytes(prng(9), 5 * 1024 * 1024 + 12345);

  const build = (context: DirectoryContext, opts: BuildOptions = {}) =>
    client.images.build(context, { builder: 'buildkit', networkMode: 'none', ...opts });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'imgext-bk-ctx-'));
    writeFileSync(join(dir, 'exec.sh'), '#!/bin/sh\necho run\n');
    chmodSync(join(dir, 'exec.sh'), 0o755);
    writeFileSync(join(dir, 'ro.txt'), 'read only\n');
    chmodSync(join(dir, 'ro.txt'), 0o640);
    writeFileSync(join(dir, 'owned.txt'), 'owned\n');
    chownSync(join(dir, 'owned.txt'), 1234, 5678);
    symlinkSync('exec.sh', join(dir, 'link'));
    writeFileSync(join(dir, 'big.bin'), big);
    mkdirSync(join(dir, 'empty'));
    mkdirSync(join(dir, 'sub/dir'), { recursive: true });
    writeFileSync(join(dir, 'sub/dir/file'), 'nested\n');
    writeFileSync(join(dir, 'secret.txt'), 'do not ship\n');
    writeFileSync(join(dir, 'a.log'), 'log\n');
    writeFileSync(join(dir, 'keep.log'), 'kept\n');
    writeFileSync(
      join(dir, '.dockerignore'),
      '# not for the image\nsecret.txt\n*.log\n!keep.log\n',
    );
  });

  afterAll(async () => {
    await removeImagesOf(client, repo);
    await client.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends the directory as it is: modes, owners, a symlink, a big file, an empty directory, .dockerignore honoured', async () => {
    const dockerfile = [
      `FROM ${BUILD_IMAGE}`,
      'COPY . /x',
      `RUN --mount=type=bind,target=/ctx cd /ctx && for f in exec.sh ro.txt owned.txt sub/dir/file empty link; do stat -c 'STAT %n %a %u:%g %F' "$f"; done && echo "LINK $(readlink link)" && echo "BIG $(sha256sum big.bin | cut -d' ' -f1) $(wc -c < big.bin)"`,
      "RUN cd /x && find . | sort | sed 's/^/FILE /'",
      '',
    ].join('\n');
    const result = await build(
      { dir, files: { Dockerfile: dockerfile } },
      { tags: [`${repo}:ctx`], noCache: true },
    );
    expect(result.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await client.images.inspect(`${repo}:ctx`)).Id).toBe(result.imageId);
    expect(printed(result.transcript, 'STAT')).toEqual([
      'exec.sh 755 0:0 regular file',
      'ro.txt 640 0:0 regular file',
      'owned.txt 644 1234:5678 regular file',
      'sub/dir/file 644 0:0 regular file',
      'empty 755 0:0 directory',
      'link 777 0:0 symbolic link',
    ]);
    expect(printed(result.transcript, 'LINK')).toEqual(['exec.sh']);
    const sha = createHash('sha256').update(big).digest('hex');
    expect(printed(result.transcript, 'BIG')).toEqual([`${sha} ${big.length}`]);
    const files = printed(result.transcript, 'FILE');
    expect(files).toEqual(
      expect.arrayContaining(['./exec.sh', './empty', './sub/dir/file', './link', './keep.log']),
    );
    // The Dockerfile given in `files` is beside the context, not in it.
    expect(files).not.toContain('./Dockerfile');
    expect(files).not.toContain('./secret.txt');
    expect(files).not.toContain('./a.log');
    expect(result.newImageIds).toEqual([]);
  });

  it('builds FROM a locally made image by its tag, with build args and labels', async () => {
    const base = `${repo}:base`;
    await build(
      { files: { Dockerfile: `FROM ${BUILD_IMAGE}\nRUN echo from-the-base > /tmp/base-marker\n` } },
      { tags: [base] },
    );
    const events: BuildProgressEvent[] = [];
    const result = await build(
      {
        files: {
          Dockerfile: `FROM ${base}\nARG greeting\nRUN echo "SAID $greeting" && echo "BASE $(cat /tmp/base-marker)"\nLABEL from=dockerfile\n`,
        },
      },
      {
        tags: [`${repo}:derived`],
        noCache: true,
        buildArgs: { greeting: 'hi there' },
        labels: { 'org.imgext.test': 'yes' },
        onProgress: (e) => events.push(e),
      },
    );
    expect(printed(result.transcript, 'SAID')).toEqual(['hi there']);
    expect(printed(result.transcript, 'BASE')).toEqual(['from-the-base']);
    const image = await client.images.inspect(`${repo}:derived`);
    expect(image.Config?.Labels).toMatchObject({ from: 'dockerfile', 'org.imgext.test': 'yes' });
    const names = events.flatMap((e) => (e.type === 'vertex' ? [e.name] : []));
    expect(
      names.some((n) => n.includes(`FROM docker.io/${base}`) || n.includes(`FROM ${base}`)),
    ).toBe(true);
    expect(
      events.some((e) => e.type === 'vertex-log' && e.text.trimEnd() === 'SAID hi there'),
    ).toBe(true);
  });

  it('pulls a base from a registry that wants a password with the docker config credentials', async () => {
    const registry = await startBasicAuthRegistry(REGISTRY, 'builder', 'pull-s3cret');
    const config = new DockerConfigDir().writeConfig({
      auths: {
        [registry.host]: { auth: Buffer.from('builder:pull-s3cret').toString('base64') },
      },
    });
    const withCreds = new EngineClient({ host: engine.host, configDir: config.path });
    const anonymous = new EngineClient({
      host: engine.host,
      configDir: new DockerConfigDir().path,
    });
    const pushed = `${REGISTRY}/${repo}:registry-base`;
    try {
      await client.images.tag(BUILD_IMAGE, `${REGISTRY}/${repo}`, 'registry-base');
      await client.images.push(pushed);
      const context = {
        files: { Dockerfile: `FROM ${registry.host}/${repo}:registry-base\nLABEL pulled=yes\n` },
      };
      const events: BuildProgressEvent[] = [];
      const result = await withCreds.images.build(context, {
        builder: 'buildkit',
        pull: true,
        tags: [`${repo}:from-registry`],
        onProgress: (e) => events.push(e),
      });
      expect(result.imageId).toMatch(/^sha256:/);
      expect(registry.accepted).toBeGreaterThan(0);
      expect(JSON.stringify(events)).not.toContain('pull-s3cret');
      // without the credentials the same pull is refused: they were what let it through
      const err = await anonymous.images
        .build(context, { builder: 'buildkit', pull: true, tags: [`${repo}:anonymous`] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BuildError);
      expect((err as Error).message).toMatch(/401|unauthorized|authoriz/i);
    } finally {
      await withCreds.close();
      await anonymous.close();
      await registry.close();
      config.remove();
      await client.images.remove(pushed, { force: true }).catch(() => undefined);
    }
  });

  it('`after`: the build starts once it settled (a tag its FROM names), and not at all when it rejects', async () => {
    const source = `${repo}:after-source`;
    await build(
      { files: { Dockerfile: `FROM ${BUILD_IMAGE}\nLABEL after=source\n` } },
      { tags: [source] },
    );
    const id = (await client.images.inspect(source)).Id;
    const late = `${repo}:after-late`;
    // the tag only exists once `after` settled: a build started earlier would not find it
    const tagged = new Promise((r) => setTimeout(r, 300)).then(() =>
      client.images.tag(id, repo, 'after-late'),
    );
    const result = await build(
      { files: { Dockerfile: `FROM ${late}\nLABEL after=built\n` } },
      { tags: [`${repo}:after-built`], after: tagged },
    );
    expect((await client.images.inspect(result.imageId)).Config?.Labels).toMatchObject({
      after: 'built',
    });
    const refused = new Error('no base for you');
    const err = await build(
      { files: { Dockerfile: `FROM ${BUILD_IMAGE}\nLABEL after=never\n` } },
      { tags: [`${repo}:after-never`], after: Promise.reject(refused) },
    ).catch((e: unknown) => e);
    expect(err).toBe(refused);
    expect(await client.images.find(`${repo}:after-never`)).toBeUndefined();
  });

  it('a second identical build is served from the cache, step by step', async () => {
    const context = {
      dir,
      files: {
        Dockerfile: `FROM ${BUILD_IMAGE}\nCOPY sub /sub\nRUN echo one > /tmp/one\nRUN echo two > /tmp/two\n`,
      },
    };
    const first = await build(context, { tags: [`${repo}:cached`], noCache: true });
    const events: BuildProgressEvent[] = [];
    const second = await build(context, {
      tags: [`${repo}:cached`],
      onProgress: (e) => events.push(e),
    });
    expect(second.imageId).toBe(first.imageId);
    const steps = new Set(
      events.flatMap((e) =>
        e.type === 'vertex' && /^\[\d+\/\d+\] (COPY|RUN)/.test(e.name) ? [e.name] : [],
      ),
    );
    expect(steps.size).toBe(3);
    const cached = new Set(
      events.flatMap((e) => (e.type === 'vertex' && e.state === 'cached' ? [e.name] : [])),
    );
    for (const step of steps) expect(cached).toContain(step);
    expect(second.cacheHits).toBeGreaterThanOrEqual(3);
    expect(first.cacheHits).toBeLessThan(second.cacheHits);
  });

  it('a failing RUN is a BuildError naming the step, with its output', async () => {
    const marker = unique('fail');
    const err = await build(
      { files: { Dockerfile: `FROM ${BUILD_IMAGE}\nRUN echo ${marker} && exit 3\n` } },
      { tags: [`${repo}:failing`] },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    const e = err as BuildError;
    expect(e.code).toBe('ENGINE_BUILD_FAILED');
    expect(e.step).toContain(`RUN echo ${marker} && exit 3`);
    expect(e.message).toContain(`RUN echo ${marker}`);
    expect(e.message).toMatch(/exit code: 3/);
    expect(e.transcript).toContain(marker);
  });

  it('cancelling mid-RUN stops the build: no process of it keeps running', async () => {
    const marker = unique('cancel');
    const controller = new AbortController();
    const pending = build(
      { files: { Dockerfile: `FROM ${BUILD_IMAGE}\nRUN sh -c 'sleep 120; echo ${marker}'\n` } },
      {
        tags: [`${repo}:cancelled`],
        noCache: true,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'vertex' && e.state === 'started' && e.name.includes(marker)) {
            // the RUN's process exists once BuildKit has started it
            void waitUntil(() => processesWith(marker).length > 0, {
              timeoutMs: 30_000,
              what: 'the RUN to start',
            }).then(() => controller.abort());
          }
        },
      },
    );
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    await waitUntil(() => processesWith(marker).length === 0, {
      timeoutMs: 30_000,
      what: 'the cancelled RUN to end',
    });
    expect(await client.images.find(`${repo}:cancelled`)).toBeUndefined();
  });
});

describe.each(engines.filter((e) => e.podman))('BuildKit on $name', (engine) => {
  it('is refused with BuildkitUnavailableError (podman has no BuildKit session)', async () => {
    const client = new EngineClient({ host: engine.host });
    try {
      const err = await client.images
        .build({ files: { Dockerfile: `FROM ${BUILD_IMAGE}\n` } }, { builder: 'buildkit' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BuildkitUnavailableError);
      expect((err as BuildkitUnavailableError).code).toBe('ENGINE_BUILDKIT_UNAVAILABLE');
    } finally {
      await client.close();
    }
  });
});
