import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { resolveEntry, scanSave } from './save-archive.js';

/** A save archive in the legacy format, where a duplicate layer is a symlink to the first copy. */
function legacySave(): Readable {
  const tar = pack();
  tar.entry({ name: 'aaa/', type: 'directory' });
  tar.entry({ name: 'aaa/layer.tar' }, Buffer.from('layer-a'));
  tar.entry({ name: 'bbb/', type: 'directory' });
  tar.entry({ name: 'bbb/layer.tar', type: 'symlink', linkname: '../aaa/layer.tar' });
  tar.entry(
    { name: 'manifest.json' },
    JSON.stringify([{ Config: 'c.json', Layers: ['aaa/layer.tar', 'bbb/layer.tar'] }]),
  );
  tar.finalize();
  return Readable.from(tar as unknown as AsyncIterable<Uint8Array>);
}

describe('scanSave', () => {
  it('keeps small entries, records sizes, and resolves linked duplicate layers', async () => {
    const scan = await scanSave(
      legacySave(),
      () => false,
      async () => {},
    );
    expect(scan.small.get('aaa/layer.tar')?.toString()).toBe('layer-a');
    expect(scan.entries.get('aaa/layer.tar')).toEqual({ size: 7, gzip: false });
    expect(resolveEntry(scan, 'bbb/layer.tar')).toBe('aaa/layer.tar');
    expect(resolveEntry(scan, 'aaa/layer.tar')).toBe('aaa/layer.tar');
  });

  it('stops reading when asked, destroying the stream', async () => {
    const archive = legacySave();
    const seen: string[] = [];
    const scan = await scanSave(
      archive,
      () => false,
      async () => {},
      undefined,
      (small) => {
        seen.push(...[...small.keys()].filter((k) => !seen.includes(k)));
        return small.has('aaa/layer.tar');
      },
    );
    expect(scan.stopped).toBe(true);
    expect(seen).toEqual(['aaa/layer.tar']);
    expect(scan.small.has('manifest.json')).toBe(false);
    expect(archive.destroyed).toBe(true);
  });
});
