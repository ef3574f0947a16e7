import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures, nodeFs } from '../test/node-fs.js';
import { MetadataError } from './errors.js';
import {
  chooseContextDir,
  dockerfilesToApply,
  readGenerated,
  summarizeRunDockerfiles,
} from './generated.js';
import { parseGroup } from './group.js';

const order = ['samples/tree', 'samples/curl', 'samples/switch'];

describe('readGenerated', () => {
  it('reads the >= 0.13 layout in group order with args and context dirs', async () => {
    const dir = join(fixtures, 'generated-013');
    const build = await readGenerated({
      fs: nodeFs,
      dir,
      kind: 'build',
      platformApi: '0.13',
      order,
    });
    expect(build.map((d) => d.extensionId)).toEqual(['samples/tree', 'samples/curl']);
    expect(build[0]!.args).toEqual([{ name: 'tree_version', value: '1.8' }]);
    expect(build[0]!.contextDir).toBeUndefined();
    expect(build[1]!.contextDir).toBe(`${dir}/samples_curl/context.build`);
    const run = await readGenerated({ fs: nodeFs, dir, kind: 'run', platformApi: '0.14', order });
    expect(run.map((d) => [d.extensionId, d.ignored])).toEqual([
      ['samples/tree', false],
      ['samples/switch', true],
    ]);
    expect(run[0]!.args).toEqual([{ name: 'tree_flavour', value: 'small' }]);
    expect(run[0]!.validated.warnings.map((w) => w.line)).toEqual([6]);
    expect(summarizeRunDockerfiles(run)).toEqual({ extend: true });
    expect(dockerfilesToApply(run).map((d) => d.extensionId)).toEqual(['samples/tree']);
  });

  it('reads the < 0.13 layout, where the context is always the app dir', async () => {
    const dir = join(fixtures, 'generated-012');
    const run = await readGenerated({ fs: nodeFs, dir, kind: 'run', platformApi: '0.12' });
    expect(run.map((d) => d.extensionId)).toEqual(['samples_switch', 'samples_tree']);
    expect(run.every((d) => d.contextDir === undefined)).toBe(true);
    expect(run[1]!.path).toBe(`${dir}/run/samples_tree/Dockerfile`);
    expect(run[1]!.args).toEqual([{ name: 'tree_flavour', value: 'small' }]);
    const ordered = await readGenerated({
      fs: nodeFs,
      dir,
      kind: 'run',
      platformApi: '0.12',
      order: ['samples/tree', 'samples/switch'],
    });
    expect(summarizeRunDockerfiles(ordered)).toEqual({
      extend: true,
      switchTo: 'example.test/other-run:latest',
    });
    const build = await readGenerated({ fs: nodeFs, dir, kind: 'build', platformApi: '0.12' });
    expect(build.map((d) => d.extensionId)).toEqual(['samples_tree']);
  });

  it('refuses context and context.<kind> together', async () => {
    const e = await readGenerated({
      fs: nodeFs,
      dir: join(fixtures, 'ambiguous'),
      kind: 'build',
      platformApi: '0.13',
      order: ['samples/bad'],
    }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(MetadataError);
    expect((e as MetadataError).code).toBe('ERR_CONTEXT_AMBIGUOUS');
    expect((e as MetadataError).message).toContain('samples/bad');
  });
});

describe('chooseContextDir', () => {
  it('prefers context.<kind>, then context, then the app dir', () => {
    expect(chooseContextDir('run', ['context.run', 'context.build'])).toBe('context.run');
    expect(chooseContextDir('build', ['context.run'])).toBeUndefined();
    expect(chooseContextDir('build', ['context'])).toBe('context');
    expect(chooseContextDir('build', [])).toBeUndefined();
  });
});

describe('group order', () => {
  it('drives readGenerated from group.toml', async () => {
    const { readFile } = await import('node:fs/promises');
    const group = parseGroup(await readFile(join(fixtures, 'group.toml'), 'utf8'));
    expect(group.extensions.map((e) => e.id)).toEqual(order);
    expect(group.extensions[1]!.extra).toEqual({ extension: true });
  });
});
