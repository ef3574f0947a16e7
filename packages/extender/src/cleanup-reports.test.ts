/**
 * A clean-up the daemon refuses is reported, never dropped: an image a container still uses
 * stays, and the caller learns which one and why (issue 12 item 20). On every test engine.
 */
import { EngineClient } from '@imgext/engine-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUILD_IMAGE,
  buildDockerfile,
  CLEANUP_TIMEOUT,
  Leftovers,
  tempTree,
  testEngines,
} from '../test/helpers.js';
import { buildContext, CONTEXT_DOCKERFILE } from './build-context.js';
import { CACHE_REPOSITORY_PREFIX, pruneCache } from './cache-tags.js';
import { extend } from './extend.js';
import { type CleanupFailure, ExtendSession } from './extend-session.js';
import { holdTag } from './hold.js';
import { removeCommitted } from './untagged-images.js';

describe.each(testEngines())('clean-up reports on $name', ({ host }) => {
  const engine = new EngineClient({ host });
  const left = new Leftovers(engine);
  const run = Math.random().toString(36).slice(2, 8);
  const label = `imgext-test.cleanup=${run}`;
  const containers: string[] = [];

  afterAll(async () => {
    for (const id of containers) await engine.containers.remove(id, { force: true });
    await left.cleanup();
    await engine.close();
  }, CLEANUP_TIMEOUT);

  /** An untagged image of this run's own, optionally tagged `ref`. */
  async function image(n: number, ref?: string): Promise<string> {
    left.labels.add(label);
    const { imageId } = await engine.images.build(
      buildContext({ dockerfile: `FROM ${BUILD_IMAGE}\nLABEL ${label} n=${n}\n` }),
      { dockerfile: CONTEXT_DOCKERFILE, networkMode: 'none', ...(ref ? { tags: [ref] } : {}) },
    );
    if (ref) left.refs.add(ref);
    return imageId;
  }

  /** A created (never started) container from `ref`: the daemon refuses to remove its image. */
  async function use(ref: string): Promise<void> {
    const { Id } = await engine.containers.create({
      Image: ref,
      Cmd: ['true'],
      HostConfig: { NetworkMode: 'none' },
    });
    containers.push(Id);
  }

  it('removeCommitted removes what it can and returns the image a container uses', async () => {
    const inUse = await image(1);
    const free = await image(2);
    await use(inUse);
    const result = await removeCommitted(engine, [inUse, free]);
    expect(result.removed).toBe(1);
    expect(result.notRemoved.map((n) => n.ref)).toEqual([inUse]);
    expect(result.notRemoved[0]?.code).toBe('ENGINE_CONFLICT');
    expect(result.notRemoved[0]?.message).not.toBe('');
    expect(await engine.images.find(free)).toBeUndefined();
    expect(await engine.images.find(inUse)).toBeDefined();
  });

  it('removeCommitted returns a lookup that fails instead of rejecting', async () => {
    const gone = new EngineClient({ host: `unix:///nonexistent/imgext-${run}.sock` });
    const result = await removeCommitted(gone, ['sha256:0123']);
    expect(result.removed).toBe(0);
    expect(result.notRemoved.map((n) => n.ref)).toEqual(['sha256:0123']);
    await gone.close();
  });

  it('ExtendSession reports a hold tag the daemon keeps for a container', async () => {
    const failures: CleanupFailure[] = [];
    const session = new ExtendSession(engine, `test-${run}`, {
      onCleanupFailed: (f) => failures.push(f),
    });
    const ref = holdTag(session.hold, 'run', 0);
    await image(3, ref);
    await use(ref);
    await session.close();
    expect(failures.map((f) => f.what)).toEqual([ref]);
    expect(failures[0]?.message).not.toBe('');
    expect(await engine.images.find(ref)).toBeDefined();
  });

  it('pruneCache returns the cache reference a container uses', async () => {
    const ref = `${CACHE_REPOSITORY_PREFIX}imgext-test-cleanup-${run}:in-use`;
    await image(4, ref);
    await use(ref);
    const pruned = await pruneCache(engine, { prefix: ref.split(':')[0]! });
    expect(pruned.removed).toEqual([]);
    expect(pruned.notRemoved.map((n) => n.ref)).toEqual([ref]);
  });

  it('ExtendSession reports a superseded cache image a container uses', async () => {
    const base = await image(5);
    const generatedDir = await tempTree({
      'imgext-test_superseded/build.Dockerfile': buildDockerfile(
        'ARG build_id',
        'RUN echo "$build_id" > /tmp/superseded',
      ),
    });
    left.dirs.add(generatedDir);
    const apply = async () => {
      const result = await extend({
        engine,
        kind: 'build',
        generatedDir,
        platformApi: '0.13',
        baseImage: base,
        networkMode: 'none',
      });
      left.chain('build', result);
      return result;
    };
    const first = await apply();
    await use(first.imageId);
    const second = await apply(); // a new build_id: the cache tag moves to a new image
    expect(second.superseded.map((s) => s.imageId)).toEqual([first.imageId]);
    const failures: CleanupFailure[] = [];
    const session = new ExtendSession(engine, `test-${run}-superseded`, {
      onCleanupFailed: (f) => failures.push(f),
    });
    session.retire(second);
    await session.close();
    expect(failures.map((f) => f.what)).toEqual([first.imageId]);
    expect(await engine.images.find(first.imageId)).toBeDefined();
  });
});
