import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTree, tempTree } from '../../test/helpers.js';
import { filterLayer, isExcluded } from './layer-filter.js';

async function tarOf(names: string[]): Promise<Buffer> {
  const tar = pack();
  for (const name of names) tar.entry({ name }, `content of ${name}`);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function namesIn(tar: Buffer): Promise<string[]> {
  const ex = extract();
  const names: string[] = [];
  const reading = (async () => {
    for await (const e of ex) {
      names.push(e.header.name);
      e.resume();
    }
  })();
  ex.end(tar);
  await reading;
  return names;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

describe('filterLayer', () => {
  it('matches the ignored paths exactly and below, nothing else', () => {
    expect(isExcluded('workspace/a')).toBe(true);
    expect(isExcluded('./layers')).toBe(true);
    expect(isExcluded('/var/run/x')).toBe(true);
    expect(isExcluded('var/.wh.run')).toBe(false);
    expect(isExcluded('workspaces/a')).toBe(false);
    expect(isExcluded('var/runtime')).toBe(false);
  });

  it.each([
    ['plain', false],
    ['gzip', true],
  ])('drops ignored paths from a %s layer, gzips it and hashes both forms', async (_name, gz) => {
    const layer = await tarOf([
      'opt/b',
      'workspace/a',
      'var/run/x',
      'platform/env/X',
      'layers/.wh.y',
      'etc/c',
    ]);
    const dir = await tempTree({});
    dirs.push(dir);
    const dest = join(dir, 'blob');
    const result = await filterLayer([gz ? gzipSync(layer) : layer], dest);
    expect(result.dropped).toEqual(['workspace/a', 'var/run/x', 'platform/env/X', 'layers/.wh.y']);
    const blob = await readFile(dest);
    expect(result.size).toBe(blob.length);
    expect(result.digest).toBe(sha(blob));
    const raw = gunzipSync(blob);
    expect(result.diffId).toBe(sha(raw));
    expect(await namesIn(raw)).toEqual(['opt/b', 'etc/c']);
  });
});
