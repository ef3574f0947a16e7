/** (b) Reading a stopped container's real logs (~200 MiB): the daemon is the bottleneck. */

import { once } from 'node:events';
import { Writable } from 'node:stream';
import { CLIENTS, type Clients } from '../clients.js';
import { config } from '../config.js';
import { alternate, MiB, median, seconds } from '../measure.js';
import type { Row } from '../report.js';

const LINE =
  '2026-11-29T05:00:00Z INFO request served in 12 ms by the quick brown fox over the lazy dog';

export async function containerLogs(c: Clients): Promise<Row> {
  const { Id: id } = await c.engine.containers.create({
    Image: config.image,
    Cmd: ['sh', '-c', `yes '${LINE}' | head -c ${config.logBytes}`],
    HostConfig: { NetworkMode: 'none' },
    Labels: { 'imgext-bench': 'logs' },
  });
  try {
    const exited = c.engine.containers.wait(id, { condition: 'next-exit' });
    await c.engine.containers.start(id);
    await exited;
    process.stderr.write('  log container done\n');
    const sizes: Record<string, number> = {};
    const read: Record<(typeof CLIENTS)[number], () => Promise<number>> = {
      'engine-client': async () => {
        let n = 0;
        for await (const chunk of c.engine.containers.logs(id, { stdout: true, stderr: true })) {
          n += chunk.data.length;
        }
        return n;
      },
      dockerode: async () => {
        let n = 0;
        const sink = new Writable({
          write(chunk: Buffer, _e, cb) {
            n += chunk.length;
            cb();
          },
        });
        const stream = await c.dockerode
          .getContainer(id)
          .logs({ follow: true, stdout: true, stderr: true });
        const ended = once(stream, 'end');
        c.dockerode.modem.demuxStream(stream, sink, sink);
        await ended;
        return n;
      },
      // The floor: the raw multiplexed body, not demultiplexed.
      undici: async () => {
        const res = await c.pool.request({
          origin: 'http://localhost',
          method: 'GET',
          path: `/v${c.apiVersion}/containers/${id}/logs?stdout=1&stderr=1`,
        });
        let n = 0;
        for await (const chunk of res.body) n += (chunk as Buffer).length;
        return n;
      },
    };
    const rates = await alternate(CLIENTS, config.logRounds, async (client) => {
      let bytes = 0;
      const s = await seconds(async () => {
        bytes = await read[client]();
      });
      sizes[client] = bytes;
      return config.logBytes / MiB / s;
    });
    for (const client of ['engine-client', 'dockerode'] as const) {
      if (sizes[client] !== config.logBytes) {
        throw new Error(`${client} read ${sizes[client]} log bytes, expected ${config.logBytes}`);
      }
    }
    return {
      group: '(b) stream parsing',
      name: `read ${config.logBytes / MiB} MiB of real container logs`,
      unit: 'MiB/s',
      higherIsBetter: true,
      values: Object.fromEntries(CLIENTS.map((cl) => [cl, median(rates[cl])])),
      note: "a stopped container's json-file logs (~90-byte lines), GET /containers/{id}/logs; dockerode with follow (its only streaming mode) + demuxStream; the undici column reads the multiplexed body without demultiplexing.",
    };
  } finally {
    await c.engine.containers.remove(id, { force: true });
  }
}
