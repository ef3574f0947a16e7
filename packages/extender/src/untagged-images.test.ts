/**
 * The step images the classic builder commits: gone after a failed build, after a build with
 * keepCache false, when a cache tag moves on, and after `pruneCache` — on both image stores.
 * Every image here derives from a base unique to this run, found by the label it inherits.
 */
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILD_IMAGE,
  buildDockerfile,
  CLEANUP_TIMEOUT,
  Leftovers,
  tempTree,
} from '../test/helpers.js';
import { buildContext } from './build-context.js';
import { cacheTag, pruneCache } from './cache-tags.js';
import { ExtenderError } from './errors.js';
import { extend } from './extend.js';
import { holdRepository, releaseHold } from './hold.js';
import { retireSuperseded } from './retire-superseded.js';
import { untaggedAncestry } from './untagged-images.js';

const engine = new EngineClient();
const left = new Leftovers(engine);
const run = Math.random().toString(36).slice(2, 8);
const label = `imgext-test.untagged=${run}`;
const base = `imgext-test/untagged-base:${run}`;
let baseId = '';

beforeAll(async () => {
  const built = await engine.images.build(
    buildContext({ dockerfile: `FROM ${BUILD_IMAGE}\nLABEL ${label}\n` }),
    { dockerfile: '.imgext.Dockerfile', tags: [base], networkMode: 'none' },
  );
  baseId = built.imageId;
  left.refs.add(base);
  left.labels.add(label);
});

afterAll(async () => {
  await left.cleanup();
  await engine.close();
}, CLEANUP_TIMEOUT);

/** Every image built on this run's base (tagged or not), the base itself left out. */
async function derived(): Promise<string[]> {
  const images = await engine.images.list({ all: true, filters: { label: [label] } });
  return images.map((i) => i.Id).filter((id) => id !== baseId);
}

async function mentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const id of await derived()) {
    const history = await engine.images.history(id).catch(() => []);
    if (history.some((h) => h.CreatedBy.includes(text))) found.push(id);
  }
  return found;
}

async function extendWith(
  extension: string | Record<string, string>,
  dockerfile: string,
  opts: { keepCache?: boolean; hold?: string } = {},
) {
  const files =
    typeof extension === 'string'
      ? { [`${extension.replace('/', '_')}/build.Dockerfile`]: dockerfile }
      : Object.fromEntries(
          Object.entries(extension).map(([id, text]) => [
            `${id.replace('/', '_')}/build.Dockerfile`,
            text,
          ]),
        );
  const dir = await tempTree(files);
  left.dirs.add(dir);
  const result = await extend({
    engine,
    kind: 'build',
    generatedDir: dir,
    platformApi: '0.13',
    baseImage: base,
    networkMode: 'none',
    ...(typeof extension === 'string' ? {} : { order: Object.keys(extension) }),
    ...opts,
  });
  left.chain('build', result);
  return result;
}

describe('untaggedAncestry', () => {
  const img = (Id: string, ParentId: string, RepoTags: string[] = []) => ({
    Id,
    ParentId,
    RepoTags,
    RepoDigests: [],
    Created: 0,
    Size: 0,
    Labels: null,
  });

  it('climbs untagged parents whose children all go, children first, and stops at a tag or a shared step', () => {
    const images = [
      img('base', '', ['b:1']),
      img('s1', 'base'),
      img('s2', 's1'),
      img('cache-a', 's2', ['imgext.local/cache/x:1']),
      img('s3', 's1'),
      img('user', 's3', ['mine:1']),
    ];
    // s1 also leads to the user's image: it stays, and so does the base.
    expect(untaggedAncestry(images, ['cache-a'])).toEqual(['cache-a', 's2']);
    expect(untaggedAncestry(images, ['cache-a', 'user'])).toEqual([
      'cache-a',
      'user',
      's2',
      's3',
      's1',
    ]);
  });
  it("reads podman's bare-hex ParentId as the sha256: ID it stands for", () => {
    const id = (c: string) => `sha256:${c.repeat(64)}`;
    const images = [
      img(id('a'), '', ['b:1']),
      img(id('b'), 'a'.repeat(64)),
      img(id('c'), 'b'.repeat(64), ['imgext.local/cache/x:1']),
    ];
    expect(untaggedAncestry(images, [id('c')])).toEqual([id('c'), id('b')]);
  });
});

describe('untagged step images on the daemon', () => {
  it('a failing build leaves none of the steps it committed', async () => {
    const marker = `failing-${run}`;
    const err = await extendWith(
      'imgext-test/failing',
      buildDockerfile('USER root', `RUN echo ${marker} > /m`, 'RUN exit 3', 'USER 1000:1000'),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ExtenderError);
    expect(err.code).toBe('ERR_EXTENSION_BUILD_FAILED');
    expect(await mentioning(marker)).toEqual([]);
  });

  it('keepCache false leaves only the result: removing it leaves nothing', async () => {
    const marker = `nocache-${run}`;
    const result = await extendWith(
      'imgext-test/nocache',
      buildDockerfile('USER root', `RUN echo ${marker} > /m`, 'USER 1000:1000'),
      { keepCache: false },
    );
    expect(await mentioning(marker)).toContain(result.imageId);
    // The classic store keeps the steps as the result's hidden parents and removes them with it;
    // the containerd store would keep them as dangling images.
    await engine.images.remove(result.imageId);
    expect(await mentioning(marker)).toEqual([]);
  });

  it('a moved cache tag takes the chain it held along, and keeps the steps still shared', async () => {
    const ext = 'imgext-test/moved';
    const first = await extendWith(
      ext,
      buildDockerfile('USER root', `RUN echo shared-${run} > /s`, `RUN echo one-${run} > /m`),
    );
    const second = await extendWith(
      ext,
      buildDockerfile('USER root', `RUN echo shared-${run} > /s`, `RUN echo two-${run} > /m`),
    );
    expect(second.applied[0]!.cacheHits).toBeGreaterThanOrEqual(2);
    expect(second.superseded).toEqual([{ kind: 'build', imageId: first.imageId, later: [] }]);
    expect((await retireSuperseded(engine, second)).removed).toBeGreaterThanOrEqual(1);
    expect(await engine.images.find(first.imageId)).toBeUndefined();
    expect(await mentioning(`one-${run}`)).toEqual([]);
    expect(await mentioning(`shared-${run}`)).toContain(second.imageId);
  });

  it('a moved cache tag also takes the later Dockerfiles built on what it held', async () => {
    const fresh = (text: string) =>
      buildDockerfile('ARG build_id', `RUN echo "${text} $build_id" > /tmp/${text}`);
    const chain = { 'imgext-test/first': fresh('first'), 'imgext-test/second': fresh('second') };
    const one = await extendWith(chain, '');
    const two = await extendWith(chain, '');
    await retireSuperseded(engine, two);
    const laterRef = cacheTag('build', 'imgext-test/second', one.applied[0]!.imageId);
    expect(two.applied[0]!.imageId).not.toBe(one.applied[0]!.imageId);
    expect(await engine.images.find(laterRef)).toBeUndefined();
    expect(await engine.images.find(one.imageId)).toBeUndefined();
    expect(await engine.images.find(one.applied[0]!.imageId)).toBeUndefined();
    expect(await engine.images.find(two.imageId)).toBeDefined();
  });

  it('a hold keeps a result another build would retire, until it is released', async () => {
    const ext = 'imgext-test/held';
    const dockerfile = buildDockerfile('ARG build_id', 'RUN echo "$build_id" > /tmp/held');
    const hold = holdRepository(`test-${run}`);
    const held = await extendWith(ext, dockerfile, { hold });
    const later = await extendWith(ext, dockerfile);
    expect(later.imageId).not.toBe(held.imageId);
    await retireSuperseded(engine, later);
    expect(await engine.images.find(held.imageId)).toBeDefined();
    const released = await releaseHold(engine, hold);
    expect(released.removed).toEqual([`${hold}:build-0`]);
    expect(await engine.images.find(held.imageId)).toBeUndefined();
    expect(await engine.images.find(later.imageId)).toBeDefined();
  });

  it('pruneCache removes the cache references and the untagged steps behind them', async () => {
    const ext = `imgext-test/prune-${run}`;
    const result = await extendWith(
      ext,
      buildDockerfile('USER root', `RUN echo prune-${run} > /m`, 'USER 1000:1000'),
    );
    const ref = cacheTag('build', ext, baseId);
    expect(await engine.images.find(ref)).toBeDefined();
    const pruned = await pruneCache(engine, { prefix: ref.split(':')[0]! });
    expect(pruned.removed).toEqual([ref]);
    expect(await engine.images.find(result.imageId)).toBeUndefined();
    expect(await mentioning(`prune-${run}`)).toEqual([]);
    expect(await engine.images.find(base)).toBeDefined();
  });

  it('pruneCache refuses a prefix outside imgext.local/cache/', async () => {
    const err = await pruneCache(engine, { prefix: 'docker.io/library/' }).catch((e) => e);
    expect(err).toBeInstanceOf(ExtenderError);
    expect(err.code).toBe('ERR_INVALID_OPTION');
  });
});
