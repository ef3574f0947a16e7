import { between, prng, randomBytes, randomChunks } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { frame } from '../../test/frames.js';
import type { OutputChunk } from '../api.js';
import { StreamError } from '../errors.js';
import { demux, FrameDecoder } from './demux.js';

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

async function collect(chunks: Buffer[]): Promise<OutputChunk[]> {
  const out: OutputChunk[] = [];
  for await (const c of demux(from(chunks))) out.push(c);
  return out;
}

const summary = (chunks: OutputChunk[]) =>
  chunks.map((c) => `${c.stream}:${c.data.toString('hex')}`);

describe('demux', () => {
  it('splits stdout and stderr frames, stdin (type 0) counted as stdout', async () => {
    const out = await collect([
      Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(0, 'in\n')]),
    ]);
    expect(out.map((c) => [c.stream, c.data.toString()])).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
      ['stdout', 'in\n'],
    ]);
  });

  it('handles a header split byte by byte and a payload split across chunks', async () => {
    const data = Buffer.concat([frame(1, 'hello world'), frame(2, 'x')]);
    const out = await collect([...data].map((b) => Buffer.from([b])));
    expect(out.map((c) => c.data.toString())).toEqual(['hello world', 'x']);
  });

  it('returns a payload held in one chunk as a view, without copying', () => {
    const data = frame(1, 'zero-copy');
    const [chunk] = new FrameDecoder().push(data);
    expect(chunk?.data.buffer).toBe(data.buffer);
  });

  it('skips empty frames', async () => {
    expect(await collect([Buffer.concat([frame(1, ''), frame(2, 'a')])])).toHaveLength(1);
  });

  it('a type-3 frame throws the daemon message after the frames before it', async () => {
    const seen: OutputChunk[] = [];
    const err = await (async () => {
      for await (const c of demux(from([Buffer.concat([frame(1, 'before'), frame(3, 'boom\n')])])))
        seen.push(c);
    })().catch((e) => e);
    expect(seen.map((c) => c.data.toString())).toEqual(['before']);
    expect(err).toBeInstanceOf(StreamError);
    expect(err.daemonMessage).toBe('boom');
  });

  it('a stream cut mid-frame (header or payload) is a StreamError', async () => {
    const whole = frame(1, 'complete');
    await expect(collect([whole, frame(1, 'cut short').subarray(0, 11)])).rejects.toBeInstanceOf(
      StreamError,
    );
    await expect(collect([whole, whole.subarray(0, 5)])).rejects.toBeInstanceOf(StreamError);
  });

  it('rejects an unknown frame type', async () => {
    await expect(collect([frame(7, 'x')])).rejects.toBeInstanceOf(StreamError);
  });

  it('property: any chunking of any frame sequence decodes to the same frames', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed);
      const frames = Array.from({ length: between(random, 0, 30) }, () => ({
        type: between(random, 1, 2),
        data: randomBytes(random, between(random, 0, between(random, 0, 1) ? 40 : 5000)),
      }));
      const stream = Buffer.concat(frames.map((f) => frame(f.type, f.data)));
      const expected = frames
        .filter((f) => f.data.length > 0)
        .map((f) => `${f.type === 1 ? 'stdout' : 'stderr'}:${f.data.toString('hex')}`);
      const maxChunk = between(random, 1, 3) === 1 ? 3 : between(random, 1, 9000);
      const out = await collect(randomChunks(random, stream, maxChunk));
      expect(summary(out), `seed ${seed}`).toEqual(expected);
    }
  });

  it('property: cutting a stream anywhere inside a frame is always detected', async () => {
    for (let seed = 1; seed <= 100; seed++) {
      const random = prng(seed);
      const stream = Buffer.concat(
        Array.from({ length: between(random, 1, 10) }, () =>
          frame(1, randomBytes(random, between(random, 1, 300))),
        ),
      );
      // frame boundaries are the only clean cuts
      const boundaries = new Set<number>();
      for (let pos = 0; pos < stream.length; ) {
        boundaries.add(pos);
        pos += 8 + stream.readUInt32BE(pos + 4);
      }
      const cut = between(random, 1, stream.length - 1);
      const result = collect(randomChunks(random, stream.subarray(0, cut), 64));
      if (boundaries.has(cut)) await expect(result).resolves.toBeDefined();
      else await expect(result, `seed ${seed} cut ${cut}`).rejects.toBeInstanceOf(StreamError);
    }
  });
});
