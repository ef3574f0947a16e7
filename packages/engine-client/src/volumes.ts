/** The volumes API: /volumes/*. */
import type { CallOptions, Volume, VolumesApi } from './api.js';
import { pathSegment } from './query.js';
import type { Transport } from './transport.js';

export class Volumes implements VolumesApi {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  create(
    opts: CallOptions & { name?: string; labels?: Record<string, string>; driver?: string } = {},
  ): Promise<Volume> {
    return this.#t.json({
      method: 'POST',
      path: '/volumes/create',
      json: { Name: opts.name, Labels: opts.labels, Driver: opts.driver },
      signal: opts.signal,
    });
  }

  inspect(name: string, opts: CallOptions = {}): Promise<Volume> {
    return this.#t.json({
      method: 'GET',
      path: `/volumes/${pathSegment(name)}`,
      signal: opts.signal,
    });
  }

  async list(opts: CallOptions & { filters?: Record<string, string[]> } = {}): Promise<Volume[]> {
    const answer = await this.#t.json<{ Volumes: Volume[] | null }>({
      method: 'GET',
      path: '/volumes',
      query: { filters: opts.filters },
      signal: opts.signal,
    });
    return answer.Volumes ?? [];
  }

  remove(name: string, opts: CallOptions & { force?: boolean } = {}): Promise<void> {
    return this.#t.call({
      method: 'DELETE',
      path: `/volumes/${pathSegment(name)}`,
      query: { force: opts.force },
      signal: opts.signal,
    });
  }
}
