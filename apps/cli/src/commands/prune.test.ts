import { EngineClient } from '@imgext/engine-client';
import {
  buildContext,
  CACHE_REPOSITORY_PREFIX,
  CONTEXT_DOCKERFILE,
  HOLD_REPOSITORY_PREFIX,
} from '@imgext/extender';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';

/** A engine other than the primary one, so pruning does not race the other suites' caches. */
const engines = (process.env.IMGEXT_TEST_ENGINES ?? '').split(',').map((p) => p.split('='));
const classic = engines.find(([name]) => name === 'docker-26.1-classic')?.[1];
const RUN_IMAGE = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';

describe.skipIf(!classic)('imgext prune (against docker-26.1-classic)', () => {
  const engine = new EngineClient({ host: classic! });
  const run = Math.random().toString(36).slice(2, 8);
  const ref = `${CACHE_REPOSITORY_PREFIX}imgext-test-prune:${run}`;

  const inUse = `${CACHE_REPOSITORY_PREFIX}imgext-test-prune:${run}-in-use`;
  let container: string | undefined;

  afterAll(async () => {
    if (container) await engine.containers.remove(container, { force: true });
    await engine.images.remove(ref).catch(() => undefined);
    await engine.images.remove(inUse).catch(() => undefined);
    await engine.close();
  });

  it('removes the imgext.local/cache images and reports them', async () => {
    await engine.images.build(
      buildContext({ dockerfile: `FROM ${RUN_IMAGE}\nLABEL imgext-test.prune=${run}\n` }),
      {
        dockerfile: CONTEXT_DOCKERFILE,
        tags: [ref],
        networkMode: 'none',
      },
    );
    const out: string[] = [];
    const code = await main(['prune', '--host', classic!, '--json'], {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: () => true },
      env: process.env,
    });
    expect(code).toBe(0);
    const result = JSON.parse(out.join('').trim().split('\n').at(-1)!);
    expect(result.removed).toContain(ref);
    expect(await engine.images.find(ref)).toBeUndefined();
    // Only imgext's own references: its cache, and the holds (with BuildKit's base tags) that
    // killed builds left.
    const ours = (r: string) =>
      r.startsWith(CACHE_REPOSITORY_PREFIX) || r.startsWith(HOLD_REPOSITORY_PREFIX);
    expect(result.removed.filter((r: string) => !ours(r))).toEqual([]);
  });

  it('warns about a cache image a container uses, and leaves it', async () => {
    await engine.images.build(
      buildContext({ dockerfile: `FROM ${RUN_IMAGE}\nLABEL imgext-test.prune=${run}-in-use\n` }),
      { dockerfile: CONTEXT_DOCKERFILE, tags: [inUse], networkMode: 'none' },
    );
    container = (
      await engine.containers.create({
        Image: inUse,
        Cmd: ['true'],
        HostConfig: { NetworkMode: 'none' },
      })
    ).Id;
    const out: string[] = [];
    const code = await main(['prune', '--host', classic!, '--json'], {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: () => true },
      env: process.env,
    });
    expect(code).toBe(0);
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const warning = lines.find((l) => l.type === 'warning' && l.ref === inUse);
    expect(warning?.message).toContain(`could not remove ${inUse}`);
    expect(lines.at(-1).notRemoved).toContain(inUse);
    expect(await engine.images.find(inUse)).toBeDefined();
  });
});
