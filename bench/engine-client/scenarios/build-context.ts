/** (c) Streaming a 1 GiB build context: throughput and peak RSS, a child process per client. */
import type { Clients } from '../clients.js';
import { CLIENTS } from '../clients.js';
import { config } from '../config.js';
import { MiB } from '../measure.js';
import type { Row } from '../report.js';
import { childRow } from './stream-parsing.js';

export async function buildContext(c: Clients): Promise<Row> {
  try {
    return await childRow('build-context', config.contextRounds, {
      group: '(c) build context',
      name: `stream a ${config.contextBytes / MiB} MiB build context`,
      note: "a tar generated on the fly (Dockerfile + one big file) sent to POST /build (classic builder), FROM the local stack image + LABEL; peak RSS is the child process's peak above its RSS before the build.",
    });
  } finally {
    for (const client of CLIENTS) {
      await c.engine.images
        .remove(`imgext-test/bench-context:${client}`, { force: true })
        .catch(() => undefined);
    }
  }
}
