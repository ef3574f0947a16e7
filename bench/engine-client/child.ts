/**
 * One measurement in its own process: `child.ts <demux|json-lines|build-context> <client>`.
 * Prints one JSON line (ChildResult) on stdout.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { demux, jsonLines } from '@imgext/engine-client';
import Dockerode from 'dockerode';
import type { ChildResult, ChildScenario } from './child-process.js';
import { type ClientName, openClients } from './clients.js';
import { config, contextDockerfile } from './config.js';
import { chunks, fixtureFile } from './fixtures.js';
import { MiB } from './measure.js';
import { tarStream } from './tar.js';

const rssMb = () => process.memoryUsage().rss / MiB;
const peakMb = () => process.resourceUsage().maxRSS / 1024;

function counter(): { sink: Writable; bytes: () => number } {
  let n = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb();
    },
  });
  return { sink, bytes: () => n };
}

async function timed(bytes: number, work: () => Promise<number>): Promise<ChildResult> {
  const baselineRssMb = rssMb();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const items = await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return { bytes, seconds, cpuSeconds, items, baselineRssMb, peakRssMb: peakMb() };
}

async function demuxBench(client: ClientName): Promise<ChildResult> {
  const data = readFileSync(fixtureFile('demux'));
  const input = client === 'dockerode' ? data.subarray(0, config.dockerodeDemuxBytes) : data;
  const source = Readable.from(chunks(input));
  if (client === 'engine-client') {
    return timed(input.length, async () => {
      let frames = 0;
      for await (const _ of demux(source)) frames++;
      return frames;
    });
  }
  if (client === 'dockerode') {
    const modem = new Dockerode({ socketPath: '/nonexistent' }).modem;
    return timed(input.length, async () => {
      const out = counter();
      const ended = once(source, 'end');
      modem.demuxStream(source, out.sink, out.sink);
      await ended;
      return out.bytes();
    });
  }
  // The floor: reading the chunks, no demultiplexing at all.
  return timed(input.length, async () => {
    let n = 0;
    for await (const chunk of source) n += (chunk as Buffer).length;
    return n;
  });
}

async function jsonLinesBench(client: ClientName): Promise<ChildResult> {
  const data = readFileSync(fixtureFile('json-lines'));
  const source = Readable.from(chunks(data));
  if (client === 'engine-client') {
    return timed(data.length, async () => {
      let n = 0;
      for await (const _ of jsonLines(source)) n++;
      return n;
    });
  }
  if (client === 'dockerode') {
    const modem = new Dockerode({ socketPath: '/nonexistent' }).modem;
    return timed(data.length, () => {
      let n = 0;
      return new Promise<number>((resolve, reject) =>
        modem.followProgress(
          source,
          (err) => (err ? reject(err) : resolve(n)),
          () => n++,
        ),
      );
    });
  }
  // The floor: split on LF with Buffer.indexOf and JSON.parse each line, no guards, no events.
  return timed(data.length, async () => {
    let n = 0;
    let rest: Buffer = Buffer.alloc(0);
    for await (const chunk of source) {
      const buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      let start = 0;
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
        if (nl > start + 1) {
          JSON.parse(buf.toString('utf8', start, nl));
          n++;
        }
        start = nl + 1;
      }
      rest = buf.subarray(start);
    }
    return n;
  });
}

async function buildContextBench(client: ClientName): Promise<ChildResult> {
  const clients = await openClients();
  const tag = `imgext-test/bench-context:${client}`;
  const dockerfile = Buffer.from(contextDockerfile);
  const context = () =>
    Readable.from(
      tarStream([
        { name: 'Dockerfile', content: dockerfile },
        { name: 'big.bin', size: config.contextBytes },
      ]),
    );
  try {
    return await timed(config.contextBytes, async () => {
      if (client === 'engine-client') {
        const result = await clients.engine.images.build(context(), {
          tags: [tag],
          networkMode: 'none',
        });
        return result.steps;
      }
      if (client === 'dockerode') {
        const stream = await clients.dockerode.buildImage(context(), {
          t: tag,
          networkmode: 'none',
        });
        const events = await new Promise<unknown[]>((resolve, reject) =>
          clients.dockerode.modem.followProgress(stream, (err, out) =>
            err ? reject(err) : resolve(out),
          ),
        );
        const failed = events.find((e) => (e as { error?: string }).error);
        if (failed) throw new Error(`dockerode build failed: ${JSON.stringify(failed)}`);
        return events.length;
      }
      const query = new URLSearchParams({ t: tag, networkmode: 'none', rm: '1', forcerm: '1' });
      const res = await clients.pool.request({
        origin: 'http://localhost',
        method: 'POST',
        path: `/v${clients.apiVersion}/build?${query}`,
        headers: { 'content-type': 'application/x-tar' },
        body: context(),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200 || text.includes('"error"')) {
        throw new Error(`undici build failed: ${res.statusCode} ${text.slice(-300)}`);
      }
      return text.split('\n').filter(Boolean).length;
    });
  } finally {
    await clients.close();
  }
}

const [scenario, client] = process.argv.slice(2) as [ChildScenario, ClientName];
const benches: Record<ChildScenario, (c: ClientName) => Promise<ChildResult>> = {
  demux: demuxBench,
  'json-lines': jsonLinesBench,
  'build-context': buildContextBench,
};
const result = await benches[scenario](client);
process.stdout.write(`${JSON.stringify(result)}\n`);
