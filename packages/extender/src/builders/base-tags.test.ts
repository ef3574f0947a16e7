import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_IMAGE, CLEANUP_TIMEOUT, Leftovers, testEngines } from '../../test/helpers.js';
import { buildContext } from '../build-context.js';
import { acquireBaseTag, baseTagFor, releaseBaseTag } from './base-tags.js';

const run = Math.random().toString(36).slice(2, 8);

describe.each(testEngines())('base tags on $name', ({ host }) => {
  const engine = new EngineClient({ host });
  const left = new Leftovers(engine);
  let id: string;

  beforeAll(async () => {
    const ref = `imgext-test/base-tags:${run}`;
    await engine.images.build(
      buildContext({ dockerfile: `FROM ${BUILD_IMAGE}\nLABEL imgext-test.run=${run}\n` }),
      { dockerfile: '.imgext.Dockerfile', tags: [ref], networkMode: 'none' },
    );
    left.refs.add(ref);
    left.labels.add(`imgext-test.run=${run}`);
    id = (await engine.images.inspect(ref)).Id;
  });

  afterAll(async () => {
    await engine.images.remove(baseTagFor(id)).catch(() => undefined);
    await left.cleanup();
    await engine.close();
  }, CLEANUP_TIMEOUT);

  it('two builds of one base share its tag, which goes with the last of them', async () => {
    const [a, b] = await Promise.all([acquireBaseTag(engine, id), acquireBaseTag(engine, id)]);
    expect(a).toBe(baseTagFor(id));
    expect(b).toBe(a);
    expect((await engine.images.inspect(a)).Id).toBe(id);
    expect(await releaseBaseTag(engine, a)).toBe(false);
    expect((await engine.images.inspect(a)).Id).toBe(id);
    expect(await releaseBaseTag(engine, b)).toBe(true);
    expect(await engine.images.find(a)).toBeUndefined();
  });

  it('a tag request that failed counts no use: the next build still removes its tag', async () => {
    const aborted = AbortSignal.abort(new Error('stop'));
    await expect(acquireBaseTag(engine, id, { signal: aborted })).rejects.toThrow();
    const ref = await acquireBaseTag(engine, id);
    expect(await releaseBaseTag(engine, ref)).toBe(true);
    expect(await engine.images.find(ref)).toBeUndefined();
  });

  it('an abort while the tag request is under way: the request is seen through and counted, so the release removes the tag', async () => {
    // Given up on the client, the request could still be carried out by the daemon and leave
    // its tag with no use counted (a SIGINT mid-build left imgext.local/hold/base:<id>).
    const ctl = new AbortController();
    const acquired = acquireBaseTag(engine, id, { signal: ctl.signal });
    ctl.abort(new Error('stop'));
    const ref = await acquired;
    expect((await engine.images.inspect(ref)).Id).toBe(id);
    expect(await releaseBaseTag(engine, ref)).toBe(true);
    expect(await engine.images.find(ref)).toBeUndefined();
  });
});
