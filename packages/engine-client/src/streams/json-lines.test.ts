import { between, prng, randomChunks } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { StreamError } from '../errors.js';
import { jsonLines } from './json-lines.js';

async function parse(chunks: Array<Buffer | string>): Promise<unknown[]> {
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: unknown[] = [];
  for await (const v of jsonLines(source())) out.push(v);
  return out;
}

describe('jsonLines', () => {
  it('parses LF and CRLF lines, skips blank ones, and keeps a last line without newline', async () => {
    expect(await parse(['{"a":1}\r\n\r\n{"b":2}\n', '\n{"c":3}'])).toEqual([
      { a: 1 },
      { b: 2 },
      { c: 3 },
    ]);
  });

  it('joins a line split across chunks, even inside a UTF-8 sequence', async () => {
    const line = Buffer.from('{"stream":"héllo ✓"}\n');
    const euro = line.indexOf(0xe2);
    expect(
      await parse([line.subarray(0, 5), line.subarray(5, euro + 1), line.subarray(euro + 1)]),
    ).toEqual([{ stream: 'héllo ✓' }]);
  });

  it('a malformed line is a StreamError, not a SyntaxError', async () => {
    const err = await parse(['{"ok":true}\n{"broken":\n']).catch((e) => e);
    expect(err).toBeInstanceOf(StreamError);
    expect(err.message).toMatch(/broken/);
  });

  it('property: any chunking gives the same values', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed);
      const values = Array.from({ length: between(random, 0, 40) }, (_, i) => ({
        i,
        status: 'x'.repeat(between(random, 0, 300)),
        text: 'ünïcødé ✓ \u2028'.slice(0, between(random, 0, 12)),
        n: random(),
      }));
      const text = values
        .map(
          (v) =>
            `${JSON.stringify(v)}${random() < 0.5 ? '\r\n' : '\n'}${random() < 0.2 ? '\n' : ''}`,
        )
        .join('');
      const chunks = randomChunks(random, Buffer.from(text), between(random, 1, 700));
      expect(await parse(chunks), `seed ${seed}`).toEqual(values);
    }
  });
});
