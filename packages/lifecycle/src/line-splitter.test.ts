import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

function split(chunks: Array<['stdout' | 'stderr', Buffer]>): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((stream, line) => lines.push(`${stream}:${line}`));
  for (const [stream, data] of chunks) splitter.push(stream, data);
  splitter.flush();
  return lines;
}

describe('LineSplitter', () => {
  const text = 'héllo → wörld 🚀\nzweite Zeile ✓\nrest 日本';
  const bytes = Buffer.from(text, 'utf8');

  it('keeps multi-byte characters split across chunks at every offset', () => {
    for (let at = 1; at < bytes.length; at++) {
      const lines = split([
        ['stdout', bytes.subarray(0, at)],
        ['stdout', bytes.subarray(at)],
      ]);
      expect(lines, `split at ${at}`).toEqual(text.split('\n').map((l) => `stdout:${l}`));
    }
  });

  it('decodes byte by byte, and each stream on its own', () => {
    const chunks: Array<['stdout' | 'stderr', Buffer]> = [];
    for (let i = 0; i < bytes.length; i++) {
      chunks.push(['stdout', bytes.subarray(i, i + 1)]);
      chunks.push(['stderr', bytes.subarray(i, i + 1)]);
    }
    const lines = split(chunks);
    expect(lines.filter((l) => l.startsWith('stdout:'))).toEqual(
      text.split('\n').map((l) => `stdout:${l}`),
    );
    expect(lines.filter((l) => l.startsWith('stderr:'))).toEqual(
      text.split('\n').map((l) => `stderr:${l}`),
    );
  });

  it('ends a truncated sequence with a replacement character on flush', () => {
    const euro = Buffer.from('€', 'utf8');
    expect(split([['stdout', Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)])]])).toEqual([
      'stdout:a\uFFFD',
    ]);
  });
});
