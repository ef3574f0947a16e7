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

/**
 * A plain tar (ustar) of `entries`, headers written here: tar-stream's pack cannot write a mode of
 * 0, the very case under test.
 */
function rawTar(
  entries: { name: string; mode: number; type: 'file' | 'directory'; body?: string }[],
): Buffer {
  const blocks: Buffer[] = [];
  const octal = (b: Buffer, at: number, width: number, v: number) =>
    b.write(`${v.toString(8).padStart(width - 1, '0')}\u0000`, at, width, 'latin1');
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    octal(h, 100, 8, e.mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, e.type === 'file' ? body.length : 0);
    octal(h, 136, 12, 0);
    h.fill(0x20, 148, 156);
    h.write(e.type === 'file' ? '0' : '5', 156, 1, 'latin1');
    h.write('ustar\u000000', 257, 8, 'latin1');
    let sum = 0;
    for (const byte of h) sum += byte;
    h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
    blocks.push(h);
    if (e.type === 'file') blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

async function modesIn(tar: Buffer): Promise<Record<string, number>> {
  const ex = extract();
  const modes: Record<string, number> = {};
  const reading = (async () => {
    for await (const e of ex) {
      modes[e.header.name] = e.header.mode ?? -1;
      e.resume();
    }
  })();
  ex.end(tar);
  await reading;
  return modes;
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

  it('keeps every mode exactly: 000 stays 000 for a file and a folder', async () => {
    const layer = rawTar([
      { name: 'opt/closed/', mode: 0o000, type: 'directory' },
      { name: 'opt/locked', mode: 0o000, type: 'file', body: 'no one reads this\n' },
      { name: 'opt/suid', mode: 0o6755, type: 'file', body: '#!/bin/sh\n' },
      { name: 'opt/private', mode: 0o600, type: 'file', body: 'mine\n' },
      { name: 'tmp/', mode: 0o1777, type: 'directory' },
      { name: 'workspace/x', mode: 0o000, type: 'file', body: 'dropped\n' },
    ]);
    expect(await modesIn(layer)).toMatchObject({ 'opt/locked': 0, 'opt/closed/': 0 });
    const dir = await tempTree({});
    dirs.push(dir);
    const dest = join(dir, 'blob');
    await filterLayer([layer], dest);
    expect(await modesIn(gunzipSync(await readFile(dest)))).toEqual({
      'opt/closed/': 0o000,
      'opt/locked': 0o000,
      'opt/suid': 0o6755,
      'opt/private': 0o600,
      'tmp/': 0o1777,
    });
  });
});
