/** The system API: /version, /info and the /events stream (ping and the version live in the transport). */
import type { CallOptions, EngineEvent, EventsOptions, SystemInfo, VersionInfo } from './api.js';
import { jsonLines } from './streams/json-lines.js';
import type { Transport } from './transport.js';

export class System {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  version(opts: CallOptions = {}): Promise<VersionInfo> {
    return this.#t.json({ method: 'GET', path: '/version', signal: opts.signal });
  }

  info(opts: CallOptions = {}): Promise<SystemInfo> {
    return this.#t.json({ method: 'GET', path: '/info', signal: opts.signal });
  }

  events(opts: EventsOptions = {}): AsyncIterable<EngineEvent> {
    const t = this.#t;
    return {
      async *[Symbol.asyncIterator]() {
        const res = await t.request({
          method: 'GET',
          path: '/events',
          query: { filters: opts.filters, since: opts.since, until: opts.until },
          untimed: true,
          signal: opts.signal,
        });
        for await (const value of jsonLines(res.body)) yield value as EngineEvent;
      },
    };
  }
}
