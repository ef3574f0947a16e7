import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLEANUP_TIMEOUT,
  Leftovers,
  RUN_IMAGE,
  tempTree,
  testEngines,
} from '../../test/helpers.js';
import { buildContext, CONTEXT_DOCKERFILE } from '../build-context.js';
import type { ExtenderEvent } from '../events.js';
import { RunLayoutCache } from './layout-cache.js';
import { directorySink } from './layout-sink.js';
import { type RunLayoutResult, writeRunLayout } from './write-run-layout.js';

const run = Math.random().toString(36).slice(2, 8);

/** Every file of a layout directory, by name, as sha256 of its bytes. */
async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, prefix: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else
        out[`${prefix}${e.name}`] = createHash('sha256')
          .update(await readFile(join(d, e.name)))
          .digest('hex');
    }
  };
  await walk(dir, '');
  return out;
}

describe.each(testEngines())('the run layout read in one pass on $name', ({ host }) => {
  const engine = new EngineClient({ host });
  const left = new Leftovers(engine);
  const tag = `imgext-test/layout-one-pass:${run}`;

  beforeAll(async () => {
    // Three layers above the 4 MB the scan keeps in memory (random: they do not compress), one
    // small one, and a file under /workspace that the layout must leave out.
    const big = (n: number) => `RUN head -c 5000000 /dev/urandom > /opt/big${n}`;
    await engine.images.build(
      buildContext({
        dockerfile: [
          `FROM ${RUN_IMAGE}`,
          'USER root',
          `LABEL imgext-test.layout=${run}`,
          'RUN mkdir -p /opt /workspace && echo leak > /workspace/leak',
          big(1),
          big(2),
          big(3),
          'USER 1000:1000',
        ].join('\n'),
      }),
      { dockerfile: CONTEXT_DOCKERFILE, tags: [tag], networkMode: 'none' },
    );
    left.refs.add(tag);
    left.labels.add(`imgext-test.layout=${run}`);
  }, 300_000);

  afterAll(async () => {
    await left.cleanup();
    await engine.close();
  }, CLEANUP_TIMEOUT);

  const layout = async (read: 'single' | 'two-pass', cache?: RunLayoutCache) => {
    const base = await engine.images.inspect(RUN_IMAGE);
    const dir = await tempTree({});
    left.dirs.add(dir);
    const events: ExtenderEvent[] = [];
    const result: RunLayoutResult = await writeRunLayout({
      engine,
      imageId: (await engine.images.inspect(tag)).Id,
      baseLayerCount: base.RootFS.Layers!.length,
      baseHistoryLength: (await engine.images.history(RUN_IMAGE)).length,
      attribution: [{ extension: 'imgext-test/layout', historyLength: 1000 }],
      sink: directorySink(dir),
      read,
      ...(cache ? { cache } : {}),
      onEvent: (e) => events.push(e),
    });
    return { result, files: await filesOf(dir), events };
  };

  it('writes the same layout, byte for byte, as the two-pass reader, reading the save once', async () => {
    const single = await layout('single');
    const twoPass = await layout('two-pass');
    expect(single.result.passes).toBe(1);
    expect(single.result.layers.length).toBe(4);
    expect(single.result.layers[0]!.dropped).toContain('workspace/leak');
    expect(single.result.manifest).toEqual(twoPass.result.manifest);
    expect(single.files).toEqual(twoPass.files);
    // The new layers' blobs are there, and no spooled temp file is left.
    for (const l of single.result.layers)
      expect(single.files[`blobs/sha256/${l.digest.slice(7)}`]).toBe(l.digest.slice(7));
    expect(Object.keys(single.files).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes the same layout again from the host cache without reading the save, and drops a damaged entry', async () => {
    const cacheDir = await tempTree({});
    left.dirs.add(cacheDir);
    const cache = new RunLayoutCache(cacheDir);
    const first = await layout('single', cache);
    expect(first.result).toMatchObject({ cached: false, passes: 1 });
    const again = await layout('single', cache);
    expect(again.result).toMatchObject({ cached: true, passes: 0 });
    expect(again.files).toEqual(first.files);
    expect(again.result.manifest).toEqual(first.result.manifest);
    // The same layers are announced (in layer order; the save's stream order the first time).
    const layerEvents = (events: ExtenderEvent[]) =>
      events
        .filter((e) => e.type === 'layout.layer')
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(layerEvents(again.events)).toEqual(layerEvents(first.events));
    // A blob of the entry changed on disk: not replayed, read from the daemon again.
    const [entry] = (await readdir(cacheDir)).filter((n) => !n.startsWith('.'));
    const blob = first.result.layers[1]!.digest.slice(7);
    await writeFile(join(cacheDir, entry!, 'blobs', 'sha256', blob), 'damaged');
    const damaged = await layout('single', cache);
    expect(damaged.result).toMatchObject({ cached: false, passes: 1 });
    expect(damaged.files).toEqual(first.files);
  });
});
