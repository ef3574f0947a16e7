import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { EngineClient } from '@imgext/engine-client';
import { applyRunImageDecision, parseAnalyzed, REBASABLE_LABEL } from '@imgext/metadata';
import { extract, pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLEANUP_TIMEOUT,
  Leftovers,
  RUN_IMAGE,
  readFileInImage,
  runDockerfile,
  tempTree,
  testEngines,
} from '../test/helpers.js';
import { buildContext, CONTEXT_DOCKERFILE } from './build-context.js';
import type { ExtenderError } from './errors.js';
import { extend } from './extend.js';
import { directorySink, tarPackSink } from './layout/layout-sink.js';
import type { ImageConfigFile, Manifest } from './layout/oci.js';

const run = Math.random().toString(36).slice(2, 8);

/** Reads back an OCI layout directory: index -> manifest -> config, and every blob present. */
async function readLayout(dir: string) {
  const blob = (digest: string) => join(dir, 'blobs', 'sha256', digest.replace('sha256:', ''));
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8')) as Manifest;
  const config = JSON.parse(
    await readFile(blob(manifest.config.digest), 'utf8'),
  ) as ImageConfigFile;
  const present = await Promise.all(
    manifest.layers.map((l) =>
      access(blob(l.digest)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return { index, manifest, config, present, blob };
}

/** Gunzips a layer blob, returning its sha256 (the diffID) and its entry names. */
async function openLayer(path: string): Promise<{ diffId: string; names: string[] }> {
  const hash = createHash('sha256');
  const names: string[] = [];
  const ex = extract();
  const reading = (async () => {
    for await (const e of ex) {
      names.push(e.header.name);
      e.resume();
    }
  })();
  await pipeline(
    createReadStream(path),
    createGunzip(),
    async function* (source) {
      for await (const chunk of source) {
        hash.update(chunk as Buffer);
        yield chunk;
      }
    },
    ex,
  );
  await reading;
  return { diffId: `sha256:${hash.digest('hex')}`, names };
}

describe.each(testEngines())('run-image extension on $name', ({ host }) => {
  const engine = new EngineClient({ host });
  const left = new Leftovers(engine);
  const target = `imgext-test/switch-target:${run}`;
  /** The run image the tests extend: the stack's, with a label unique to this run. */
  const RUN_BASE = `imgext-test/run-base:${run}`;

  beforeAll(async () => {
    await engine.images.build(
      buildContext({ dockerfile: `FROM ${RUN_IMAGE}\nLABEL imgext-test.switch=${run}\n` }),
      { dockerfile: CONTEXT_DOCKERFILE, tags: [target], networkMode: 'none' },
    );
    await engine.images.build(
      buildContext({ dockerfile: `FROM ${RUN_IMAGE}\nLABEL imgext-test.run=${run}\n` }),
      { dockerfile: CONTEXT_DOCKERFILE, tags: [RUN_BASE], networkMode: 'none' },
    );
    left.refs.add(target);
    left.refs.add(RUN_BASE);
    left.labels.add(`imgext-test.switch=${run}`);
    left.labels.add(`imgext-test.run=${run}`);
  });

  afterAll(async () => {
    await left.cleanup();
    await engine.close();
  }, CLEANUP_TIMEOUT);

  async function dir(files: Record<string, string>): Promise<string> {
    const d = await tempTree(files);
    left.dirs.add(d);
    return d;
  }

  it('extends, keeps the run image metadata, and writes a layout with only the new layers', async () => {
    const generated = await dir({
      'imgext-test_r1/run.Dockerfile': runDockerfile(
        'USER root',
        'RUN mkdir -p /opt /workspace /var/run && echo one > /opt/one && echo leak > /workspace/leak && echo leak > /var/run/leak',
        'LABEL io.buildpacks.rebasable=true',
        'USER 1000:1000',
      ),
      'imgext-test_r2/run.Dockerfile': runDockerfile(
        'USER root',
        'RUN echo two > /opt/two',
        'USER 1000:1000',
      ),
    });
    const layoutDir = await dir({});
    const base = await engine.images.inspect(RUN_BASE);
    const result = await extend({
      engine,
      kind: 'run',
      generatedDir: generated,
      platformApi: '0.13',
      order: ['imgext-test/r1', 'imgext-test/r2'],
      baseImage: RUN_BASE,
      networkMode: 'none',
      layout: directorySink(layoutDir),
    });
    left.chain('run', result);
    expect(result.applied.map((a) => a.extension)).toEqual(['imgext-test/r1', 'imgext-test/r2']);
    // r2 does not set the label itself: the AND rule makes the result not rebasable.
    expect(result.rebasable).toBe(false);
    expect((await engine.images.inspect(result.imageId)).Config?.Labels?.[REBASABLE_LABEL]).toBe(
      'false',
    );
    expect(result.runImage).toEqual({ reference: base.Id, topLayer: base.RootFS.Layers!.at(-1) });
    expect(result.runImageDecision).toEqual({ extend: true });
    expect(await readFileInImage(engine, result.imageId, '/opt/two')).toBe('two\n');

    const { manifest, config, present, blob } = await readLayout(layoutDir);
    const baseCount = base.RootFS.Layers!.length;
    expect(manifest.layers.length).toBe(config.rootfs.diff_ids.length);
    expect(config.rootfs.diff_ids.slice(0, baseCount)).toEqual(base.RootFS.Layers);
    expect(present.slice(0, baseCount).every((p) => !p)).toBe(true);
    const fresh = manifest.layers.slice(baseCount);
    expect(fresh.length).toBe(2);
    expect(present.slice(baseCount).every(Boolean)).toBe(true);
    const opened = [];
    for (const [i, l] of fresh.entries()) {
      expect(l.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
      const layer = await openLayer(blob(l.digest));
      expect(layer.diffId).toBe(config.rootfs.diff_ids[baseCount + i]);
      opened.push(layer.names);
    }
    expect(opened[0]).toContain('opt/one');
    expect(opened[0]!.some((n) => n.startsWith('workspace') || n.startsWith('var/run'))).toBe(
      false,
    );
    expect(opened[1]).toContain('opt/two');
    const layerHistory = (config.history ?? []).filter((h) => !h.empty_layer).slice(baseCount);
    expect(layerHistory.map((h) => h.created_by?.replace(/^Layer: '.*', /s, ''))).toEqual([
      'Created by extension: imgext-test/r1',
      'Created by extension: imgext-test/r2',
    ]);
    expect(layerHistory[0]!.created_by).toMatch(/^Layer: '.*echo one.*', Created by extension/s);
    expect(config.config?.Labels?.[REBASABLE_LABEL]).toBe('false');
    expect(config.config?.User).toBe('1000:1000');
  });

  it('writes the same layout into a tar-stream pack', async () => {
    const generated = await dir({
      'imgext-test_t/run.Dockerfile': runDockerfile(
        'USER root',
        'RUN mkdir -p /opt && echo t > /opt/t',
        'LABEL io.buildpacks.rebasable=true',
        'USER 1000:1000',
      ),
    });
    const tar = pack();
    const names: string[] = [];
    const ex = extract();
    const reading = (async () => {
      for await (const e of ex) {
        names.push(e.header.name);
        e.resume();
      }
    })();
    const piping = pipeline(tar, ex);
    const result = await extend({
      engine,
      kind: 'run',
      generatedDir: generated,
      platformApi: '0.13',
      baseImage: RUN_BASE,
      networkMode: 'none',
      layout: tarPackSink(tar, { prefix: 'extended/run/imgext/' }),
    });
    tar.finalize();
    await piping;
    await reading;
    left.chain('run', result);
    expect(result.rebasable).toBe(true);
    expect((await engine.images.inspect(result.imageId)).Config?.Labels?.[REBASABLE_LABEL]).toBe(
      'true',
    );
    const blobs = names.filter((n) =>
      /^extended\/run\/imgext\/blobs\/sha256\/[0-9a-f]{64}$/.test(n),
    );
    // one new layer + config + manifest
    expect(blobs.length).toBe(3);
    expect(names).toContain('extended/run/imgext/index.json');
    expect(names).toContain('extended/run/imgext/oci-layout');
    expect(result.layout?.layers.length).toBe(1);
  });

  it('refuses a run image that ends as root', async () => {
    const generated = await dir({
      'imgext-test_root/run.Dockerfile': runDockerfile('USER root', 'ENV X=1'),
    });
    const err = await extend({
      engine,
      kind: 'run',
      generatedDir: generated,
      platformApi: '0.13',
      order: ['imgext-test/root'],
      baseImage: RUN_BASE,
      networkMode: 'none',
    }).catch((e: unknown) => e);
    left.step('run', 'imgext-test/root', (await engine.images.inspect(RUN_BASE)).Id);
    expect((err as ExtenderError).code).toBe('ERR_RUN_IMAGE_ROOT');
    expect((err as Error).message).toContain('imgext-test/root');
  });

  it('switches the run image and updates analyzed.toml as the lifecycle does', async () => {
    const generated = await dir({
      'imgext-test_ext/run.Dockerfile.ignore': runDockerfile('RUN echo superseded'),
      'imgext-test_switch/run.Dockerfile': `FROM ${target}\n`,
    });
    const result = await extend({
      engine,
      kind: 'run',
      generatedDir: generated,
      platformApi: '0.13',
      order: ['imgext-test/ext', 'imgext-test/switch'],
      baseImage: RUN_BASE,
    });
    const t = await engine.images.inspect(target);
    expect(result.applied).toEqual([]);
    expect(result.baseImageId).toBe(t.Id);
    expect(result.imageId).toBe(t.Id);
    expect(result.runImageDecision).toEqual({ switchTo: target, extend: false });
    const analyzed = parseAnalyzed(
      `[run-image]\nreference = "x"\nimage = "${RUN_IMAGE}"\n[run-image.target]\nos = "linux"\n`,
    );
    expect(
      applyRunImageDecision(analyzed, result.runImageDecision!, result.runImage!.reference)
        .runImage,
    ).toEqual({
      reference: t.Id,
      image: target,
    });
  });

  it('counts a switch-only run.Dockerfile in the rebasable rule, as the lifecycle applies it too', async () => {
    // The lifecycle's extender applies every live run.Dockerfile, the switch-only one included;
    // that one sets no io.buildpacks.rebasable=true, so pack's image says false: so must imgext's.
    const generated = await dir({
      'imgext-test_switch/run.Dockerfile': `FROM ${target}\n`,
      'imgext-test_tool/run.Dockerfile': runDockerfile(
        'USER root\nRUN echo tool > /opt-tool\nLABEL io.buildpacks.rebasable=true\nUSER 1000:1000',
      ),
    });
    const result = await extend({
      engine,
      kind: 'run',
      generatedDir: generated,
      platformApi: '0.13',
      order: ['imgext-test/switch', 'imgext-test/tool'],
      baseImage: RUN_BASE,
      networkMode: 'none',
    });
    left.chain('run', result);
    expect(result.applied.map((a) => a.extension)).toEqual(['imgext-test/tool']);
    expect(result.rebasable).toBe(false);
    const img = await engine.images.inspect(result.imageId);
    expect(img.Config?.Labels?.[REBASABLE_LABEL]).toBe('false');
  });

  it('switches then extends the new run image', async () => {
    const generated = await dir({
      'imgext-test_both/run.Dockerfile': [
        `FROM ${target}`,
        'USER root',
        'RUN mkdir -p /opt && echo both > /opt/both',
        'LABEL io.buildpacks.rebasable=true',
        'USER 1000:1000',
        '',
      ].join('\n'),
    });
    const layoutDir = await dir({});
    const result = await extend({
      engine,
      kind: 'run',
      generatedDir: generated,
      platformApi: '0.12',
      baseImage: RUN_BASE,
      networkMode: 'none',
      layout: directorySink(layoutDir),
      fs: {
        // the < 0.13 layout: run/<id>/Dockerfile
        list: async (d) =>
          d.endsWith('/run')
            ? [{ name: 'imgext-test_both', dir: true }]
            : (await readdir(d, { withFileTypes: true })).map((e) => ({
                name: e.name,
                dir: e.isDirectory(),
              })),
        read: async (p) =>
          p.endsWith('run/imgext-test_both/Dockerfile')
            ? readFile(join(generated, 'imgext-test_both/run.Dockerfile'), 'utf8')
            : undefined,
      },
    });
    left.chain('run', result);
    const t = await engine.images.inspect(target);
    expect(result.baseImageId).toBe(t.Id);
    expect(result.runImage).toEqual({ reference: t.Id, topLayer: t.RootFS.Layers!.at(-1) });
    expect(result.runImageDecision).toEqual({ switchTo: target, extend: true });
    expect(result.rebasable).toBe(true);
    expect(await readFileInImage(engine, result.imageId, '/opt/both')).toBe('both\n');
    const { manifest, present } = await readLayout(layoutDir);
    expect(present.filter(Boolean).length).toBe(1);
    expect(manifest.layers.length).toBe(t.RootFS.Layers!.length + 1);
  });

  it('refuses to pull with policy never', async () => {
    const generated = await dir({
      'imgext-test_missing/run.Dockerfile': 'FROM imgext-test/missing:nope\n',
    });
    const err = await extend({
      engine,
      kind: 'run',
      generatedDir: generated,
      platformApi: '0.13',
      baseImage: RUN_BASE,
      pullPolicy: 'never',
    }).catch((e: unknown) => e);
    expect((err as ExtenderError).code).toBe('ERR_IMAGE_MISSING');
  });
});
