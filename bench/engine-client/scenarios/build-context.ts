/** (c) Streaming a 1 GiB build context: throughput and peak RSS, a child process per client. */
import { Readable } from 'node:stream';
import type { Clients } from '../clients.js';
import { CLIENTS } from '../clients.js';
import { config, contextDockerfile } from '../config.js';
import { MiB } from '../measure.js';
import type { Row } from '../report.js';
import { tarStream } from '../tar.js';
import { childRows } from './stream-parsing.js';

const WARM_UP_TAG = 'imgext-test/bench-context:warm-up';

export async function buildContext(c: Clients): Promise<Row[]> {
  try {
    // Without this, the first measured build alone commits the LABEL step (~1.4 s here) and
    // every later one hits the cache: whoever goes first in round one would look slow.
    await c.engine.images.build(
      Readable.from(tarStream([{ name: 'Dockerfile', content: Buffer.from(contextDockerfile) }])),
      { tags: [WARM_UP_TAG], networkMode: 'none' },
    );
    const { rate, cpu } = await childRows('build-context', config.contextRounds, {
      group: '(c) build context',
      name: `stream a ${config.contextBytes / MiB} MiB build context`,
      note: "a tar generated on the fly (Dockerfile + one big file) sent to POST /build (classic builder), FROM the local stack image + LABEL, that step cached by a warm-up build so every measured build does the same daemon work; peak RSS is the child process's peak above its RSS before the build. The client CPU row is the client process's own CPU time (user + system) per GiB sent: the part of the cost a client controls, free of the daemon's disk writes, which make the rate row noisy.",
    });
    return [rate, cpu];
  } finally {
    for (const tag of [
      WARM_UP_TAG,
      ...CLIENTS.map((client) => `imgext-test/bench-context:${client}`),
    ]) {
      await c.engine.images.remove(tag, { force: true }).catch(() => undefined);
    }
  }
}
