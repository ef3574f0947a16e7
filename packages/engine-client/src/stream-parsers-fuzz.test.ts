/**
 * Seeded, bounded fuzzing of the stream parsers (JSON lines, demux, the build stream): random
 * splits of valid input decode the same, and garbage never throws anything but our typed errors.
 * A failure prints its seed; rerun that seed to reproduce it.
 */
import { between, prng, randomBytes, randomChunks } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { BuildStreamReader } from './build-stream.js';
import { BuildError, StreamError } from './errors.js';
import { FrameDecoder } from './streams/demux.js';
import { JsonLineDecoder } from './streams/json-lines.js';

const SEEDS = 200;

/** Runs `fn`; whatever it throws must be one of `types`. */
function onlyTyped(
  seed: number,
  types: Array<abstract new (...args: never[]) => Error>,
  fn: () => void,
) {
  try {
    fn();
  } catch (err) {
    const typed = types.some((type) => err instanceof type);
    expect(typed, `seed ${seed}: threw ${String(err)}`).toBe(true);
  }
}

const PIECES = [
  '{',
  '}',
  '"',
  ':',
  ',',
  '[',
  ']',
  '\n',
  '\r\n',
  '\r',
  ' ',
  'null',
  'true',
  '1e999',
  '-0',
  '"stream"',
  '"error"',
  '"aux"',
  '"errorDetail"',
  '"Step 1/2 : FROM x\\n"',
  '" ---> 5d41402abc4b\\n"',
  '"\\u00e9"',
  '"\\ud83d"',
  '\u00e9',
  '\u{1f680}',
  '\\',
];

function garbageText(random: () => number, pieces: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < pieces; i++) {
    parts.push(
      random() < 0.2
        ? randomBytes(random, between(random, 1, 8))
        : Buffer.from(PIECES[between(random, 0, PIECES.length - 1)]!),
    );
  }
  return Buffer.concat(parts);
}

/** A random JSON value, deep enough to hit every branch of the readers. */
function randomValue(random: () => number, depth = 0): unknown {
  const pick = between(random, 0, depth > 2 ? 4 : 7);
  if (pick === 0) return null;
  if (pick === 1) return random() < 0.5;
  if (pick === 2) return between(random, -1e6, 1e6);
  if (pick === 3 || pick === 4) {
    const words = [
      'Step 2/3 : RUN x',
      ' ---> Using cache',
      ' ---> 0123456789ab',
      'Successfully built 0123456789ab',
      'é🚀',
      '',
      '\n',
    ];
    return words[between(random, 0, words.length - 1)]! + (random() < 0.5 ? '\n' : '');
  }
  if (pick === 5)
    return Array.from({ length: between(random, 0, 3) }, () => randomValue(random, depth + 1));
  const keys = [
    'stream',
    'status',
    'id',
    'progress',
    'aux',
    'ID',
    'error',
    'errorDetail',
    'message',
    'x',
  ];
  const out: Record<string, unknown> = {};
  for (let i = between(random, 0, 4); i > 0; i--) {
    out[keys[between(random, 0, keys.length - 1)]!] = randomValue(random, depth + 1);
  }
  return out;
}

describe('JSON lines fuzz', () => {
  it('valid lines, split anywhere with LF or CRLF, decode to the same values', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      const values = Array.from({ length: between(random, 0, 8) }, () => randomValue(random));
      const text = values.map((v) => JSON.stringify(v) + (random() < 0.5 ? '\n' : '\r\n')).join('');
      const decoder = new JsonLineDecoder();
      const out: unknown[] = [];
      for (const chunk of randomChunks(random, Buffer.from(text), 9))
        out.push(...decoder.push(chunk));
      out.push(...decoder.end());
      expect(out, `seed ${seed}`).toEqual(values);
    }
  });

  it('garbage split anywhere throws nothing but StreamError', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      const data = garbageText(random, between(random, 0, 40));
      const decoder = new JsonLineDecoder();
      onlyTyped(seed, [StreamError], () => {
        for (const chunk of randomChunks(random, data, 7)) decoder.push(chunk);
        decoder.end();
      });
    }
  });
});

describe('demux fuzz', () => {
  it('random bytes split anywhere throw nothing but StreamError, and never more bytes than given', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      // mostly plausible headers (types 0-3, small sizes) with random bytes around them
      const parts: Buffer[] = [];
      for (let i = between(random, 0, 6); i > 0; i--) {
        const header = Buffer.alloc(8);
        header[0] = random() < 0.9 ? between(random, 0, 3) : between(random, 0, 255);
        header.writeUInt32BE(between(random, 0, 24), 4);
        parts.push(header, randomBytes(random, between(random, 0, 24)));
      }
      const data = Buffer.concat(parts);
      const decoder = new FrameDecoder();
      let total = 0;
      onlyTyped(seed, [StreamError], () => {
        for (const chunk of randomChunks(random, data, 11)) {
          for (const out of decoder.push(chunk)) {
            expect(['stdout', 'stderr']).toContain(out.stream);
            total += out.data.length;
          }
        }
        decoder.end();
      });
      expect(total, `seed ${seed}`).toBeLessThanOrEqual(data.length);
    }
  });
});

describe('build stream fuzz', () => {
  it('random messages from garbage bytes throw nothing but StreamError or BuildError', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      const lines = Array.from({ length: between(random, 0, 10) }, () =>
        random() < 0.8
          ? JSON.stringify(randomValue(random))
          : garbageText(random, 4).toString('latin1'),
      );
      const data = Buffer.from(lines.join('\n'));
      const events: unknown[] = [];
      const reader = new BuildStreamReader((e) => events.push(e));
      const decoder = new JsonLineDecoder();
      onlyTyped(seed, [StreamError, BuildError], () => {
        for (const chunk of randomChunks(random, data, 13)) {
          for (const value of decoder.push(chunk)) reader.read(value);
        }
        for (const value of decoder.end()) reader.read(value);
        const result = reader.finish();
        expect(result.steps).toBeGreaterThanOrEqual(0);
        expect(Array.isArray(result.transcript)).toBe(true);
      });
    }
  });

  it('any JSON value given to read() is handled or a BuildError', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      const reader = new BuildStreamReader();
      onlyTyped(seed, [BuildError], () => {
        for (let i = between(random, 1, 12); i > 0; i--) reader.read(randomValue(random));
        reader.finish();
      });
    }
  });
});
