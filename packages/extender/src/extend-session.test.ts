/**
 * ExtendSession against the real daemon: the hold tags go when it closes, and a removal that
 * fails is reported through onCleanupFailed instead of being dropped.
 */
import { EngineClient } from '@imgext/engine-client';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILD_IMAGE, CLEANUP_TIMEOUT, Leftovers } from '../test/helpers.js';
import { type CleanupFailure, ExtendSession } from './extend-session.js';
import { holdTag } from './hold.js';

const engine = new EngineClient();
const left = new Leftovers(engine);
const run = Math.random().toString(36).slice(2, 8);

afterAll(async () => {
  await left.cleanup();
  await engine.close();
}, CLEANUP_TIMEOUT);

/** An engine that cannot answer: every call fails with a connection error. */
const unreachable = () => new EngineClient({ host: `unix:///nonexistent/imgext-${run}.sock` });

describe('ExtendSession', () => {
  it('close drops the tags under its hold and nothing else', async () => {
    const session = new ExtendSession(engine, `test-${run}`);
    const base = await engine.images.inspect(BUILD_IMAGE);
    const [repo, tag] = holdTag(session.hold, 'build', 0).split(':') as [string, string];
    await engine.images.tag(base.Id, repo, tag);
    left.refs.add(`${repo}:${tag}`);
    await session.close();
    expect(await engine.images.find(`${repo}:${tag}`)).toBeUndefined();
    expect((await engine.images.inspect(BUILD_IMAGE)).Id).toBe(base.Id);
    await session.close(); // idempotent
  });

  it('reports a release that fails, and resolves all the same', async () => {
    const closed = unreachable();
    const failures: CleanupFailure[] = [];
    const session = new ExtendSession(closed, `test-${run}-closed`, {
      onCleanupFailed: (f) => failures.push(f),
    });
    await expect(session.close()).resolves.toBeUndefined();
    expect(failures).toHaveLength(1);
    expect(failures[0]?.what).toBe(session.hold);
    expect(failures[0]?.message).not.toBe('');
  });

  it('reports a retirement that fails under the kind it was for', async () => {
    const closed = unreachable();
    const failures: CleanupFailure[] = [];
    const session = new ExtendSession(closed, `test-${run}-retire`, {
      onCleanupFailed: (f) => failures.push(f),
    });
    const result = {
      kind: 'run' as const,
      imageId: 'sha256:0',
      superseded: [{ kind: 'run' as const, imageId: 'sha256:1', later: [] }],
    };
    expect(session.retire(result)).toBe(result);
    await session.close();
    expect(failures.map((f) => f.what)).toEqual(['superseded run images', session.hold]);
  });
});
