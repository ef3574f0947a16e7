/**
 * `imgext builder inspect` against the real daemon: the sample builder (tools/env up makes it) and
 * a builder whose lifecycle offers only platform API 0.10-0.12 and labels its extension order the
 * older way (io.buildpacks.extension.order), checked field by field.
 */
import { EngineClient } from '@imgext/engine-client';
import { packFiles } from '@imgext/lifecycle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Made, runCli, SAMPLE_BUILDER } from './build-harness.js';

let client: EngineClient;
const made = new Made();
const old = 'imgext-test/builder-inspect-0.12:latest';
const stackRun = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
const EXTENSIONS = ['build-tool', 'broken', 'switch-run', 'run-tool'].map((e) => ({
  id: `imgext-samples/${e}`,
  version: '0.0.1',
}));
const ORDER_EXTENSIONS = [EXTENSIONS.map((e) => ({ ...e, optional: true }))];

let sampleLabels: Record<string, string>;

beforeAll(async () => {
  client = await EngineClient.connect();
  sampleLabels = (await client.images.inspect(SAMPLE_BUILDER)).Config?.Labels ?? {};
  const md = JSON.parse(sampleLabels['io.buildpacks.builder.metadata'] ?? '{}');
  md.lifecycle.apis.platform = { supported: ['0.10', '0.11', '0.12'], deprecated: ['0.9'] };
  const extOrder =
    sampleLabels['io.buildpacks.buildpack.order-extensions'] ??
    sampleLabels['io.buildpacks.extension.order'] ??
    '[]';
  made.image(old);
  // An empty order-extensions label would win over the older one: the derived builder drops it.
  await client.images.build(
    packFiles([{ path: 'Dockerfile', content: `FROM ${SAMPLE_BUILDER}\n` }], { uid: 0, gid: 0 }),
    {
      tags: [old],
      labels: {
        'io.buildpacks.builder.metadata': JSON.stringify(md),
        'io.buildpacks.extension.order': extOrder,
        'io.buildpacks.buildpack.order-extensions': '',
      },
      networkMode: 'none',
    },
  );
});

afterAll(async () => {
  await made.remove(client);
  await client?.close();
});

async function inspect(builder: string) {
  const run = await runCli(['builder', 'inspect', builder, '--json']);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run.lines.find((l) => l.type === 'result') as Record<string, unknown>;
}

describe('imgext builder inspect', () => {
  it('the sample builder: buildpacks, extensions, both orders, run images, lifecycle, platform API 0.15', async () => {
    const info = await inspect(SAMPLE_BUILDER);
    expect(info).toMatchObject({
      builder: SAMPLE_BUILDER,
      id: (await client.images.inspect(SAMPLE_BUILDER)).Id,
      stackId: 'io.imgext.stacks.busybox',
      runImages: [{ image: stackRun, mirrors: [] }],
      buildpacks: [
        { id: 'imgext-samples/hello', version: '0.0.1', homepage: 'https://github.com/imgext' },
      ],
      extensions: EXTENSIONS,
      order: [[{ id: 'imgext-samples/hello', version: '0.0.1', optional: false }]],
      orderExtensions: ORDER_EXTENSIONS,
      lifecycle: {
        version: '0.21.17',
        platformApis: {
          supported: ['0.7', '0.8', '0.9', '0.10', '0.11', '0.12', '0.13', '0.14', '0.15'],
          deprecated: [],
        },
        buildpackApis: { supported: ['0.7', '0.8', '0.9', '0.10', '0.11', '0.12'], deprecated: [] },
      },
      platformApi: '0.15',
      defaultLifecycleImage: 'buildpacksio/lifecycle:0.21.17',
    });
    const label = sampleLabels['io.buildpacks.buildpack.order-extensions']
      ? 'io.buildpacks.buildpack.order-extensions'
      : 'io.buildpacks.extension.order';
    expect(info.orderExtensionsLabel).toBe(label);
    const human = await runCli(['builder', 'inspect', SAMPLE_BUILDER]);
    expect(human.stdout).toContain('imgext would use: platform API 0.15');
    expect(human.stdout).toContain('imgext-samples/run-tool@0.0.1  (optional)');
  });

  it('a platform 0.10-0.12 builder with the older extension-order label: imgext would use 0.12', async () => {
    const info = await inspect(old);
    expect(info).toMatchObject({
      builder: old,
      extensions: EXTENSIONS,
      orderExtensions: ORDER_EXTENSIONS,
      orderExtensionsLabel: 'io.buildpacks.extension.order',
      lifecycle: {
        version: '0.21.17',
        platformApis: { supported: ['0.10', '0.11', '0.12'], deprecated: ['0.9'] },
      },
      platformApi: '0.12',
    });
  });

  it('not a builder, and a usage error', async () => {
    const notBuilder = await runCli(['builder', 'inspect', stackRun, '--json']);
    expect(notBuilder.code).toBe(1);
    expect(notBuilder.lines.at(-1)).toMatchObject({ code: 'ERR_NOT_A_BUILDER' });
    expect((await runCli(['builder', 'list', SAMPLE_BUILDER])).code).toBe(2);
  });
});
