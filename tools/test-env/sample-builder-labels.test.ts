/**
 * The sample builder's labels are what `pack builder create` writes, so that pack sees its
 * extensions: the extension order under io.buildpacks.buildpack.order-extensions (pack's
 * OrderExtensionsLabel), in the order of tools/sample/order.toml.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const tools = resolve(import.meta.dirname, '..');
const cache = mkdtempSync(join(tmpdir(), 'imgext-labels-test-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

function labels(): Record<string, string> {
  const r = spawnSync(
    'bash',
    [
      // --norc: bash -c run under an ssh session (SSH_CLIENT set) sources ~/.bashrc otherwise, and
      // a machine's dotfiles (a pyenv init waiting on a stale lock) must not decide this test.
      '--norc',
      '-c',
      `. "${tools}/lib/common.sh"; . "${tools}/lib/images.sh"; . "${tools}/lib/lifecycle.sh"; . "${tools}/lib/builder.sh"; sample_builder_labels /nonexistent`,
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        IMGEXT_CACHE: cache,
      },
    },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe('sample builder labels', () => {
  it('carry the extension order where pack reads it, in order.toml order', () => {
    const l = labels();
    expect(l['io.buildpacks.extension.order']).toBeUndefined();
    const order = JSON.parse(l['io.buildpacks.buildpack.order-extensions']!) as {
      group: { id: string; version: string; optional?: boolean }[];
    }[];
    const fromToml = [
      ...readFileSync(resolve(tools, 'sample', 'order.toml'), 'utf8').matchAll(
        /\[\[order-extensions\.group\]\]\nid = "([^"]+)"/g,
      ),
    ].map((m) => m[1]);
    expect(order).toHaveLength(1);
    expect(order[0]!.group.map((g) => g.id)).toEqual(fromToml);
    expect(order[0]!.group.every((g) => g.optional === true && g.version === '0.0.1')).toBe(true);
  });

  it('list every extension in the builder metadata and the extension layers', () => {
    const l = labels();
    const ids = (
      JSON.parse(l['io.buildpacks.builder.metadata']!) as { extensions: { id: string }[] }
    ).extensions.map((e) => e.id);
    expect(Object.keys(JSON.parse(l['io.buildpacks.extension.layers']!))).toEqual(ids);
  });
});
