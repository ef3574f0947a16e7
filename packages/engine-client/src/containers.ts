/** The containers API: /containers/*, and the race-free `run`. */
import type { Readable } from 'node:stream';
import type {
  AttachOptions,
  AttachSession,
  CallOptions,
  ContainerCreateSpec,
  ContainerInspect,
  ContainerSummary,
  ContainersApi,
  CreateContainerOptions,
  ExecOptions,
  ExecResult,
  ExecSpec,
  LogsOptions,
  OutputChunk,
  PutArchiveOptions,
  RunOptions,
  RunResult,
  TarStream,
  WaitResult,
} from './api.js';
import { compareApiVersions } from './api-version.js';
import { upgrade } from './attach.js';
import { transportError } from './errors.js';
import { execInContainer } from './exec.js';
import { pathSegment, queryString } from './query.js';
import { runContainer } from './run.js';
import { demux, raw } from './streams/demux.js';
import type { Transport } from './transport.js';

type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export class Containers implements ContainersApi {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  create(
    spec: ContainerCreateSpec,
    opts: CreateContainerOptions = {},
  ): Promise<{ Id: string; Warnings: string[] }> {
    return this.#t.json({
      method: 'POST',
      path: '/containers/create',
      query: { name: opts.name, platform: opts.platform },
      json: spec,
      signal: opts.signal,
    });
  }

  start(id: string, opts: CallOptions = {}): Promise<void> {
    return this.#t.call({
      method: 'POST',
      path: `/containers/${pathSegment(id)}/start`,
      signal: opts.signal,
    });
  }

  async wait(
    id: string,
    opts: CallOptions & { condition?: WaitCondition } = {},
  ): Promise<WaitResult> {
    const pending = await this.waitHeaders(id, opts);
    return pending.result;
  }

  /**
   * Sends the wait and resolves once the daemon answered its headers, that is once it is
   * registered as a waiter: a start issued after this cannot be missed.
   */
  async waitHeaders(
    id: string,
    opts: CallOptions & { condition?: WaitCondition } = {},
  ): Promise<{ result: Promise<WaitResult> }> {
    const res = await this.#t.request({
      method: 'POST',
      path: `/containers/${pathSegment(id)}/wait`,
      query: { condition: opts.condition },
      untimed: true,
      signal: opts.signal,
    });
    const result = res.json<WaitResult>();
    // The caller may not await the result before other work: never leave it unhandled.
    result.catch(() => undefined);
    return { result };
  }

  logs(id: string, opts: LogsOptions = {}): AsyncIterable<OutputChunk> {
    const t = this.#t;
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const res = await t.request({
          method: 'GET',
          path: `/containers/${pathSegment(id)}/logs`,
          query: {
            follow: opts.follow,
            stdout: opts.stdout ?? true,
            stderr: opts.stderr ?? true,
            timestamps: opts.timestamps,
            since: opts.since,
            tail: opts.tail,
          },
          untimed: true,
          signal: opts.signal,
        });
        let multiplexed: boolean;
        try {
          multiplexed = await self.#multiplexed(id, res.headers['content-type'], opts.signal);
        } catch (err) {
          // the body is not handed out: release it, or the pool waits for it forever
          res.destroy();
          throw err;
        }
        yield* multiplexed ? demux(res.body) : raw(res.body);
      },
    };
  }

  async attach(id: string, opts: AttachOptions = {}): Promise<AttachSession> {
    const connection = await this.#t.connection();
    const version = await this.#t.apiVersion(opts.signal);
    const apiPath = `/containers/${pathSegment(id)}/attach`;
    const query = queryString({
      stream: opts.stream ?? true,
      logs: opts.logs,
      stdin: opts.stdin,
      stdout: opts.stdout ?? true,
      stderr: opts.stderr ?? true,
    });
    const { headers, socket } = await upgrade(connection, {
      path: `/v${version}${apiPath}${query}`,
      apiPath,
      signal: opts.signal,
    });
    const ctx = {
      method: 'POST',
      path: apiPath,
      host: connection.endpoint.host,
      signal: opts.signal,
    };
    const onAbort = () => socket.destroy();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => opts.signal?.removeEventListener('abort', onAbort));
    let multiplexed: boolean;
    try {
      multiplexed = await this.#multiplexed(id, headers['content-type'], opts.signal);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    async function* bytes(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of socket) yield chunk as Buffer;
      } catch (err) {
        throw transportError(err, ctx);
      } finally {
        socket.destroy();
      }
    }
    const source = { [Symbol.asyncIterator]: bytes };
    return {
      output: multiplexed ? demux(source) : raw(source),
      ...(opts.stdin ? { stdin: socket } : {}),
      close: () => socket.destroy(),
    };
  }

  inspect(id: string, opts: CallOptions = {}): Promise<ContainerInspect> {
    return this.#t.json({
      method: 'GET',
      path: `/containers/${pathSegment(id)}/json`,
      signal: opts.signal,
    });
  }

  list(
    opts: CallOptions & { all?: boolean; filters?: Record<string, string[]> } = {},
  ): Promise<ContainerSummary[]> {
    return this.#t.json({
      method: 'GET',
      path: '/containers/json',
      query: { all: opts.all, filters: opts.filters },
      signal: opts.signal,
    });
  }

  kill(id: string, opts: CallOptions & { killSignal?: string } = {}): Promise<void> {
    return this.#t.call({
      method: 'POST',
      path: `/containers/${pathSegment(id)}/kill`,
      query: { signal: opts.killSignal },
      signal: opts.signal,
    });
  }

  remove(
    id: string,
    opts: CallOptions & { force?: boolean; volumes?: boolean } = {},
  ): Promise<void> {
    return this.#t.call({
      method: 'DELETE',
      path: `/containers/${pathSegment(id)}`,
      query: { force: opts.force, v: opts.volumes },
      signal: opts.signal,
    });
  }

  async getArchive(id: string, path: string, opts: CallOptions = {}): Promise<Readable> {
    const res = await this.#t.request({
      method: 'GET',
      path: `/containers/${pathSegment(id)}/archive`,
      query: { path },
      signal: opts.signal,
    });
    return res.stream();
  }

  putArchive(
    id: string,
    path: string,
    tar: TarStream,
    opts: PutArchiveOptions = {},
  ): Promise<void> {
    return this.#t.call({
      method: 'PUT',
      path: `/containers/${pathSegment(id)}/archive`,
      query: { path, copyUIDGID: opts.copyUIDGID, noOverwriteDirNonDir: opts.noOverwriteDirNonDir },
      headers: { 'content-type': 'application/x-tar' },
      body: tar,
      signal: opts.signal,
    });
  }

  run(spec: ContainerCreateSpec, opts: RunOptions = {}): Promise<RunResult> {
    return runContainer(this, spec, opts);
  }

  exec(id: string, spec: ExecSpec, opts: ExecOptions = {}): Promise<ExecResult> {
    return execInContainer(this.#t, id, spec, opts);
  }

  /** Multiplexed or raw: from the Content-Type (API >= 1.42), else from the container's Tty. */
  async #multiplexed(
    id: string,
    contentType: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    if (contentType?.includes('multiplexed')) return true;
    const version = await this.#t.apiVersion(signal);
    if (contentType?.includes('raw-stream') && compareApiVersions(version, '1.42') >= 0) {
      return false;
    }
    const info = await this.inspect(id, { signal });
    return !info.Config.Tty;
  }
}
