/** (a) Many small requests, sequential and concurrent: ping and image inspect. */
import { CLIENTS, type ClientName, type Clients } from '../clients.js';
import { config } from '../config.js';
import { alternate, median, opsPerSecond, rateFor } from '../measure.js';
import type { Row } from '../report.js';

type Op = Record<ClientName, () => Promise<unknown>>;

function ops(c: Clients): Record<'ping' | 'image inspect', Op> {
  const bare = (path: string) => async () => {
    const res = await c.pool.request({ origin: 'http://localhost', method: 'GET', path });
    return res.body.text();
  };
  const image = config.image;
  return {
    ping: {
      'engine-client': () => c.engine.ping(),
      dockerode: () => c.dockerode.ping(),
      undici: bare(`/v${c.apiVersion}/_ping`),
    },
    'image inspect': {
      'engine-client': () => c.engine.images.inspect(image),
      dockerode: () => c.dockerode.getImage(image).inspect(),
      undici: bare(`/v${c.apiVersion}/images/${encodeURIComponent(image)}/json`),
    },
  };
}

export async function smallRequests(c: Clients): Promise<Row[]> {
  const rows: Row[] = [];
  const cases = [
    { what: 'ping' as const, concurrency: 1 },
    { what: 'ping' as const, concurrency: 16 },
    { what: 'image inspect' as const, concurrency: 1 },
    { what: 'image inspect' as const, concurrency: 16 },
  ];
  const table = ops(c);
  for (const client of CLIENTS) {
    for (const what of ['ping', 'image inspect'] as const) {
      await opsPerSecond(table[what][client], 200, 4); // warm-up: connections, JIT
    }
  }
  for (const { what, concurrency } of cases) {
    const results = await alternate(CLIENTS, config.rounds, (client) =>
      rateFor(table[what][client], config.requestMs, concurrency),
    );
    rows.push({
      group: '(a) small requests',
      name: `${what}, ${concurrency === 1 ? 'sequential' : `${concurrency} concurrent`}`,
      unit: 'req/s',
      higherIsBetter: true,
      values: Object.fromEntries(CLIENTS.map((cl) => [cl, median(results[cl])])),
    });
    process.stderr.write(`  ${rows.at(-1)!.name} done\n`);
  }
  return rows;
}
