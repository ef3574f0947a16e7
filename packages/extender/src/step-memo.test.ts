// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax, not a template
/**
 * Remembered chain steps against the real daemon (each builder of DOCKER_HOST's engine): an
 * unchanged Dockerfile is reused without a build while its cache tag names the image it gave; a
 * changed context, a `build_id`, or a cache tag that moved on make it build again.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { parseDockerfile } from '@imgext/metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILD_IMAGE,
  buildDockerfile,
  CLEANUP_TIMEOUT,
  dockerHostBuilders,
  Leftovers,
  readFileInImage,
  tempTree,
} from '../test/helpers.js';
import { cacheTag } from './cache-tags.js';
import type { ExtenderEvent } from './events.js';
import { extend } from './extend.js';
import { holdRepository, holdTag } from './hold.js';
import { StepMemo, selfContained } from './step-memo.js';

const engine = new EngineClient();
const left = new Leftovers(engine);
const run = Math.random().toString(36).slice(2, 8);
const base = `imgext-test/memo-base:${run}`;
let memoDir: string;

beforeAll(async () => {
  memoDir = await tempTree({});
  left.dirs.add(memoDir);
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

const builders = dockerHostBuilders();

describe('StepMemo.key', () => {
  const inputs = {
    kind: 'build',
    extension: 'x/y',
    text: 'FROM ${base_image}\nRUN true\n',
    buildArgs: { build_id: 'a', user_id: '1000' },
    builder: 'buildkit',
    networkMode: 'none',
    baseImageId: 'sha256:1',
  };
  it('follows the inputs, not the fresh build_id the Dockerfile does not use', async () => {
    const key = await StepMemo.key(inputs);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await StepMemo.key({ ...inputs, buildArgs: { build_id: 'b', user_id: '1000' } })).toBe(
      key,
    );
    expect(await StepMemo.key({ ...inputs, baseImageId: 'sha256:2' })).not.toBe(key);
    expect(await StepMemo.key({ ...inputs, buildArgs: { user_id: '1001' } })).not.toBe(key);
    expect(await StepMemo.key({ ...inputs, builder: 'classic' })).not.toBe(key);
  });

  it('never remembers a Dockerfile that mentions build_id', async () => {
    expect(
      await StepMemo.key({ ...inputs, text: 'FROM ${base_image}\nARG build_id\nRUN true\n' }),
    ).toBeUndefined();
  });

  it('follows the context: a changed file or mode is another key', async () => {
    const dir = await tempTree({ 'a.txt': 'one', 'sub/b.txt': 'two' });
    left.dirs.add(dir);
    const key = await StepMemo.key({ ...inputs, contextDir: dir });
    expect(await StepMemo.key({ ...inputs, contextDir: dir })).toBe(key);
    await writeFile(join(dir, 'sub/b.txt'), 'three');
    const changed = await StepMemo.key({ ...inputs, contextDir: dir });
    expect(changed).not.toBe(key);
    const { chmod } = await import('node:fs/promises');
    await chmod(join(dir, 'a.txt'), 0o600);
    expect(await StepMemo.key({ ...inputs, contextDir: dir })).not.toBe(changed);
  });
});

describe('selfContained', () => {
  const check = (text: string) => selfContained(parseDockerfile(text).stages, text);
  it('a Dockerfile from ${base_image} (and its own stages) with local sources only', () => {
    expect(check('ARG base_image\nFROM ${base_image}\nCOPY a /a\nRUN true\n')).toBe(true);
    expect(check('ARG base_image\nFROM ${base_image} AS one\nRUN true\nFROM one\nRUN true\n')).toBe(
      true,
    );
  });
  it('not one that reads another image or the network', () => {
    expect(check('FROM ${base_image}\nCOPY --from=busybox:latest /bin/sh /sh\n')).toBe(false);
    expect(check('FROM busybox\nRUN true\n')).toBe(false);
    expect(check('FROM ${base_image}\nADD https://example.invalid/x /x\n')).toBe(false);
    expect(check('FROM ${base_image}\nADD git@example.invalid:a/b.git /b\n')).toBe(false);
  });
});

describe.each(builders)('remembered steps with %s', (builder) => {
  it('an unchanged step is reused without a build (and held); a changed context or a moved cache tag builds again', async () => {
    const ctx = await tempTree({ 'marker.txt': `first ${run}` });
    left.dirs.add(ctx);
    const generated = await tempTree({
      'imgext-test_memo/build.Dockerfile': buildDockerfile(
        'USER root',
        'COPY marker.txt /opt/memo-marker',
        'USER 1000:1000',
      ),
    });
    left.dirs.add(generated);
    // The context: the extension's own folder when it has one, else the app dir (used here).
    const memo = new StepMemo(join(memoDir, builder));
    const apply = async (hold?: string) => {
      const events: ExtenderEvent[] = [];
      const result = await extend({
        builder,
        engine,
        kind: 'build',
        generatedDir: generated,
        platformApi: '0.13',
        order: ['imgext-test/memo'],
        baseImage: base,
        appDir: ctx,
        networkMode: 'none',
        memo,
        ...(hold ? { hold } : {}),
        onEvent: (e) => events.push(e),
      });
      left.chain('build', result);
      return { result, events };
    };
    const built = (events: ExtenderEvent[]) =>
      events.some((e) => e.type === 'extension.vertex' || e.type === 'extension.step');

    const first = await apply();
    expect(built(first.events)).toBe(true);
    expect((await readFileInImage(engine, first.result.imageId, '/opt/memo-marker')).trim()).toBe(
      `first ${run}`,
    );

    const hold = holdRepository(`memo-${run}-${builder}`);
    left.refs.add(holdTag(hold, 'build', 0));
    const second = await apply(hold);
    expect(built(second.events)).toBe(false);
    expect(second.result.imageId).toBe(first.result.imageId);
    const applied = second.events.find((e) => e.type === 'extension.applied');
    expect(applied).toMatchObject({ cacheHits: first.result.applied[0]!.steps });
    // held, as a build of it would be
    expect((await engine.images.inspect(holdTag(hold, 'build', 0))).Id).toBe(first.result.imageId);
    await engine.images.remove(holdTag(hold, 'build', 0));

    await writeFile(join(ctx, 'marker.txt'), `second ${run}`);
    const third = await apply();
    expect(built(third.events)).toBe(true);
    expect((await readFileInImage(engine, third.result.imageId, '/opt/memo-marker')).trim()).toBe(
      `second ${run}`,
    );

    // The cache tag names the third image now: with the context put back, the first image is
    // remembered for these inputs but no longer tagged, so the step is built again.
    await writeFile(join(ctx, 'marker.txt'), `first ${run}`);
    const tag = cacheTag('build', 'imgext-test/memo', (await engine.images.inspect(base)).Id);
    expect((await engine.images.inspect(tag)).Id).toBe(third.result.imageId);
    const fourth = await apply();
    expect(built(fourth.events)).toBe(true);
    expect((await readFileInImage(engine, fourth.result.imageId, '/opt/memo-marker')).trim()).toBe(
      `first ${run}`,
    );
  });
});
