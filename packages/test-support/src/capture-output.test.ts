import { describe, expect, it } from 'vitest';
import { captureOutput } from './capture-output.js';

describe('captureOutput', () => {
  it('keeps both streams and hands out JSON lines as they complete, across writes', () => {
    const seen: unknown[] = [];
    const io = captureOutput({ onJsonLine: (l) => seen.push(l) });
    io.streams.stdout.write('{"type":"a"}\n{"type"');
    expect(seen).toEqual([{ type: 'a' }]);
    io.streams.stdout.write(':"b"}\nplain text\n');
    io.streams.stderr.write('warning: x\n');
    expect(seen).toEqual([{ type: 'a' }, { type: 'b' }]);
    expect(io.jsonLines()).toEqual([{ type: 'a' }, { type: 'b' }]);
    expect(io.stdout()).toContain('plain text');
    expect(io.stderr()).toBe('warning: x\n');
  });
});
