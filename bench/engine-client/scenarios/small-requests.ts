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
  const cpuRows: Row[] = [];
  for (const { what, concurrency } of cases) {
    const cpu = Object.fromEntries(CLIENTS.map((cl) => [cl, [] as number[]])) as Record<
      ClientName,
      number[]
    >;
    const results = await alternate(CLIENTS, config.rounds, async (client) => {
      const op = table[what][client];
      let count = 0;
      const counted = () => {
        count++;
        return op();
      };
      const before = process.cpuUsage();
      const rate = await rateFor(counted, config.requestMs, concurrency);
      const used = process.cpuUsage(before);
      cpu[client].push((used.user + used.system) / count);
      return rate;
    });
    const name = `${what}, ${concurrency === 1 ? 'sequential' : `${concurrency} concurrent`}`;
    rows.push({
      group: '(a) small requests',
      name,
      unit: 'req/s',
      higherIsBetter: true,
      values: Object.fromEntries(CLIENTS.map((cl) => [cl, median(results[cl])])),
    });
    cpuRows.push({
      group: '(a) client CPU',
      name: `${name}: client CPU per request`,
      unit: 'CPU µs/req',
      higherIsBetter: false,
      values: Object.fromEntries(CLIENTS.map((cl) => [cl, median(cpu[cl])])),
      ...(cpuRows.length === 0
        ? {
            note: "the benchmark process's own CPU time (user + system) per request while it ran the row above, median of the rounds: what each client costs on the client side, whatever the daemon's speed. On 2 cores the client and the daemon share the CPUs, so a cheaper client leaves more to the daemon.",
          }
        : {}),
    });
    const spread = CLIENTS.map((cl) => {
      const sorted = [...results[cl]].sort((a, b) => a - b);
      return `${cl} ${sorted[0]!.toFixed(0)}-${sorted.at(-1)!.toFixed(0)}`;
    });
    process.stderr.write(`  ${name} (req/s, slowest-fastest round: ${spread.join('; ')})\n`);
  }
  return [...rows, ...cpuRows];
}
