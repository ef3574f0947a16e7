/**
 * Seeded, bounded fuzzing of the stream parsers (JSON lines, demux, the build stream): random
 * splits of valid input decode the same, and garbage never throws anything but our typed errors.
 * A failure prints its seed; rerun that seed to reproduce it.
 */
import { readFileSync } from 'node:fs';
import { between, prng, randomBytes, randomChunks } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { encodeStatusResponse } from '../test/buildkit-status.js';
import { BuildStreamReader } from './build-stream.js';
import { decodeStatusResponse } from './buildkit/status-response.js';
import { TraceTracker } from './buildkit/trace-tracker.js';
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

const REAL = ['docker-26.1-success.b64', 'docker-26.1-failure.b64'].flatMap((name) =>
  readFileSync(new URL(`../test/buildkit-trace/${name}`, import.meta.url), 'utf8')
    .trim()
    .split('\n'),
);

/** A random, valid StatusResponse: a few vertexes in random states and logs with random bytes. */
function randomTrace(random: () => number): Uint8Array {
  const digests = ['sha256:a', 'sha256:b', 'sha256:c'];
  const names = ['[internal] load .dockerignore', '[1/2] FROM x', '[2/2] RUN é🚀', ''];
  const pick = <T>(list: T[]) => list[between(random, 0, list.length - 1)]!;
  const time = () => (random() < 0.5 ? undefined : between(random, 0, 2e12));
  return encodeStatusResponse({
    vertexes: Array.from({ length: between(random, 0, 3) }, () => ({
      digest: pick(digests),
      name: pick(names),
      cached: random() < 0.3,
      started: time(),
      completed: time(),
      ...(random() < 0.2 ? { error: 'exit code: 1' } : {}),
    })),
    logs: Array.from({ length: between(random, 0, 3) }, () => ({
      vertex: pick(digests),
      stream: between(random, 1, 2),
      msg: random() < 0.5 ? randomBytes(random, between(random, 0, 12)) : 'line\nhé🚀\n',
    })),
    statuses: random() < 0.3 ? [{ id: 'x', vertex: pick(digests), current: 3, total: 9 }] : [],
  });
}

describe('BuildKit trace fuzz', () => {
  it('valid traces decode and track; all their log bytes come out, whatever the chunking', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      const tracker = new TraceTracker();
      const texts = new Map<string, string>();
      const expected = new Map<string, Buffer[]>();
      for (let i = between(random, 1, 6); i > 0; i--) {
        const bytes = randomTrace(random);
        const status = decodeStatusResponse(bytes);
        for (const log of status.logs) {
          const key = `${log.vertex}/${log.stream}`;
          expected.set(key, [...(expected.get(key) ?? []), Buffer.from(log.msg)]);
        }
        for (const e of [...tracker.push(status)])
          if (e.type === 'vertex-log') {
            const key = `${e.id}/${e.stream}`;
            texts.set(key, (texts.get(key) ?? '') + e.text);
          }
      }
      for (const e of tracker.finish())
        if (e.type === 'vertex-log') {
          const key = `${e.id}/${e.stream}`;
          texts.set(key, (texts.get(key) ?? '') + e.text);
        }
      // split per vertex and stream only at completions: the same bytes, decoded as a whole
      for (const [key, chunks] of expected) {
        const whole = Buffer.concat(chunks).toString('utf8');
        if (!whole.includes('\ufffd'))
          expect(texts.get(key) ?? '', `seed ${seed} ${key}`).toBe(whole);
      }
      expect(tracker.steps, `seed ${seed}`).toBeGreaterThanOrEqual(tracker.cacheHits);
    }
  });

  it('cut, spliced, flipped or random bytes throw nothing but StreamError', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      // half the time a message a real daemon sent (test/buildkit-trace)
      const valid =
        random() < 0.5
          ? Buffer.from(randomTrace(random))
          : Buffer.from(REAL[between(random, 0, REAL.length - 1)]!, 'base64');
      if (random() < 0.5 && valid.length > 0) {
        for (let i = between(random, 1, 3); i > 0; i--) {
          valid[between(random, 0, valid.length - 1)] = between(random, 0, 255);
        }
      }
      const mode = between(random, 0, 3);
      const data =
        mode === 0
          ? valid.subarray(0, between(random, 0, valid.length))
          : mode === 1
            ? Buffer.concat(randomChunks(random, valid, 9).filter(() => random() < 0.8))
            : mode === 2
              ? Buffer.concat([valid, randomBytes(random, between(random, 1, 16))])
              : randomBytes(random, between(random, 0, 64));
      const tracker = new TraceTracker();
      onlyTyped(seed, [StreamError], () => {
        tracker.readBytes(data);
        tracker.finish();
      });
    }
  });
});
