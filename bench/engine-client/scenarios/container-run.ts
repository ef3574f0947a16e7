/** (d) Container run round trip: create, wait, start, exit code, remove. */
import { Writable } from 'node:stream';
import { CLIENTS, type ClientName, type Clients } from '../clients.js';
import { config } from '../config.js';
import { alternate, median, seconds } from '../measure.js';
import type { Row } from '../report.js';

export async function containerRun(c: Clients): Promise<Row> {
  const spec = {
    Image: config.image,
    Cmd: ['true'],
    HostConfig: { NetworkMode: 'none' },
    Labels: { 'imgext-bench': 'run' },
  };
  const v = `/v${c.apiVersion}`;
  const bare = async (method: string, path: string, body?: object) => {
    const res = await c.pool.request({
      origin: 'http://localhost',
      method: method as 'POST',
      path: `${v}${path}`,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const run: Record<ClientName, () => Promise<void>> = {
    'engine-client': async () => {
      const { exitCode } = await c.engine.containers.run(spec);
      if (exitCode !== 0) throw new Error(`exit ${exitCode}`);
    },
    dockerode: async () => {
      const out = new Writable({ write: (_c, _e, cb) => cb() });
      const [result, container] = await c.dockerode.run(config.image, ['true'], out, {
        HostConfig: spec.HostConfig,
        Labels: spec.Labels,
      });
      await container.remove();
      if (result.StatusCode !== 0) throw new Error(`exit ${result.StatusCode}`);
    },
    // The floor: create, wait (headers received before start), start, read the exit, remove.
    undici: async () => {
      const { Id: id } = await bare('POST', '/containers/create', spec);
      const waitRes = await c.pool.request({
        origin: 'http://localhost',
        method: 'POST',
        path: `${v}/containers/${id}/wait?condition=next-exit`,
      });
      await bare('POST', `/containers/${id}/start`);
      const { StatusCode } = (await waitRes.body.json()) as { StatusCode: number };
      await bare('DELETE', `/containers/${id}`);
      if (StatusCode !== 0) throw new Error(`exit ${StatusCode}`);
    },
  };
  for (const client of CLIENTS) await run[client](); // warm-up
  const ms = await alternate(CLIENTS, config.runRounds, async (client) => {
    const s = await seconds(async () => {
      for (let i = 0; i < config.runsPerRound; i++) await run[client]();
    });
    return (s * 1000) / config.runsPerRound;
  });
  return {
    group: '(d) container run',
    name: 'run `true` and remove it',
    unit: 'ms/run',
    higherIsBetter: false,
    values: Object.fromEntries(CLIENTS.map((cl) => [cl, median(ms[cl])])),
    note: 'engine-client containers.run (create, attach, wait, start, remove); dockerode run() + remove(); undici: create, wait?condition=next-exit, start, wait body, delete.',
  };
}
