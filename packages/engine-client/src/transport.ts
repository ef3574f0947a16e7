/**
 * The request core: one pooled connection (from ./connection), lazy API version negotiation,
 * versioned paths, typed errors for statuses and transport failures, and response bodies handed
 * out as our own byte iterables. No undici type leaves this file.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { EngineClientOptions, PingResult, ResolvedEndpoint, TarStream } from './api.js';
import {
  compareApiVersions,
  MIN_API_VERSION,
  negotiatedVersion,
  parseApiVersion,
} from './api-version.js';
import { type Connection, resolveConnection } from './connection/index.js';
import { DEFAULT_HEADERS_TIMEOUT, timeoutOption } from './connection/resolve-endpoint.js';
import {
  ApiVersionTooOldError,
  EngineError,
  errorForStatus,
  LocalFileError,
  StreamError,
  transportError,
} from './errors.js';
import { type QueryValue, queryString } from './query.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface RequestSpec {
  method: HttpMethod;
  /** Unversioned path, e.g. '/containers/create'. */
  path: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** A JSON body (sets Content-Type). */
  json?: unknown;
  /** A raw body: a tar stream (streamed with backpressure), a string or bytes. */
  body?: TarStream | string | Buffer;
  signal?: AbortSignal | undefined;
  /** Prefix the path with /vX.Y (default true). */
  versioned?: boolean;
  /**
   * The answer is a long stream, or its headers may legitimately take long (wait, logs, events,
   * pull, push, save): no header timeout. Requests with a body are never header-timed either.
   */
  untimed?: boolean;
}

/** A response whose status was 2xx (or 304). Its body must be consumed, dumped or destroyed. */
export interface EngineResponse {
  statusCode: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The body as bytes; transport failures and aborts surface as typed errors. */
  body: AsyncIterable<Buffer>;
  text(): Promise<string>;
  json<T>(): Promise<T>;
  /** Discards the body. */
  dump(): Promise<void>;
  /** The body as a Node stream (errors typed); destroying it closes the request. */
  stream(): Readable;
  destroy(): void;
}

interface CallContext {
  method: string;
  path: string;
  host: string;
  signal?: AbortSignal | undefined;
  headersTimeout?: number;
}

export class Transport {
  readonly #options: EngineClientOptions;
  #connection: Promise<Connection> | undefined;
  #resolved: Connection | undefined;
  #version: Promise<string> | undefined;
  /** The settled version, so that requests after the first skip a promise turn. */
  #versionValue: string | undefined;
  #ping: PingResult | undefined;
  #headersTimeout: number | undefined;

  constructor(options: EngineClientOptions = {}) {
    this.#options = options;
  }

  /** The endpoint, once the connection is resolved. */
  get endpoint(): ResolvedEndpoint | undefined {
    return this.#resolved?.endpoint;
  }

  connection(): Promise<Connection> {
    if (!this.#connection) {
      this.#connection = resolveConnection(this.#options).then(
        (connection) => {
          this.#resolved = connection;
          return connection;
        },
        (err: unknown) => {
          this.#connection = undefined;
          throw err instanceof EngineError ? err : transportError(err, {});
        },
      );
    }
    return this.#connection;
  }

  /** The pinned version, or the negotiated one (negotiates once; a failure is retried next call). */
  apiVersion(signal?: AbortSignal): Promise<string> {
    if (!this.#version) {
      const env = this.#options.env ?? process.env;
      const pinnedText = this.#options.apiVersion ?? env.DOCKER_API_VERSION;
      if (pinnedText) {
        const pinned = parseApiVersion(pinnedText);
        if (!pinned) {
          return Promise.reject(
            new EngineError(`invalid API version pin '${pinnedText}' (expected X.Y)`),
          );
        }
        if (compareApiVersions(pinned, MIN_API_VERSION) < 0) {
          return Promise.reject(new ApiVersionTooOldError(pinned, MIN_API_VERSION));
        }
        this.#version = Promise.resolve(pinned);
        this.#versionValue = pinned;
      } else {
        // Shared by every caller: it runs under no caller's signal (one caller's abort must not
        // fail the others); each caller waits under its own signal below.
        this.#version = this.#negotiate().then(
          (version) => {
            this.#versionValue = version;
            return version;
          },
          (err: unknown) => {
            this.#version = undefined;
            throw err;
          },
        );
      }
    }
    return this.#versionValue === undefined ? untilAborted(this.#version, signal) : this.#version;
  }

  /**
   * GET /_ping. Not HEAD: dockerd answers HEAD /_ping with `Connection: close`, so a HEAD per
   * ping would cost a new connection each time (measured: ~2.5x slower than GET).
   */
  async ping(signal?: AbortSignal): Promise<PingResult> {
    return this.#readPing(await this.#pingRequest('GET', signal));
  }

  /** Negotiation's ping, as moby's client does it: HEAD, falling back to GET. Once per client. */
  async #negotiationPing(signal?: AbortSignal): Promise<PingResult> {
    const res = await this.#pingRequest('HEAD', signal).catch(async (err: unknown) => {
      if (err instanceof EngineError && err.statusCode !== undefined) {
        return this.#pingRequest('GET', signal);
      }
      throw err;
    });
    return this.#readPing(res);
  }

  async #readPing(res: EngineResponse): Promise<PingResult> {
    await res.dump();
    const apiVersion = parseApiVersion(res.headers['api-version']);
    if (!apiVersion) {
      throw new EngineError('the engine answered /_ping without an Api-Version header', {
        method: 'GET',
        path: '/_ping',
        statusCode: res.statusCode,
      });
    }
    const experimental = res.headers['docker-experimental'];
    this.#ping = {
      apiVersion,
      ...(res.headers.ostype ? { osType: res.headers.ostype } : {}),
      ...(experimental ? { experimental: experimental === 'true' } : {}),
      ...(res.headers['builder-version'] ? { builderVersion: res.headers['builder-version'] } : {}),
    };
    return this.#ping;
  }

  #pingRequest(method: 'HEAD' | 'GET', signal?: AbortSignal): Promise<EngineResponse> {
    return this.request({ method, path: '/_ping', versioned: false, signal });
  }

  async #negotiate(signal?: AbortSignal): Promise<string> {
    const { apiVersion } = this.#ping ?? (await this.#negotiationPing(signal));
    if (compareApiVersions(apiVersion, MIN_API_VERSION) < 0) {
      throw new ApiVersionTooOldError(apiVersion, MIN_API_VERSION, {
        method: 'HEAD',
        path: '/_ping',
      });
    }
    return negotiatedVersion(apiVersion);
  }

  /** Sends a request; resolves once the response headers arrived with a 2xx/304 status. */
  async request(spec: RequestSpec): Promise<EngineResponse> {
    // Once connected and negotiated, no promise turns before the request is dispatched.
    const connection = this.#resolved ?? (await this.connection());
    const version =
      spec.versioned === false
        ? undefined
        : (this.#versionValue ?? (await this.apiVersion(spec.signal)));
    const path = `${version ? `/v${version}` : ''}${spec.path}`;
    this.#headersTimeout ??= timeoutOption(
      this.#options.timeouts?.headers,
      'headers',
      DEFAULT_HEADERS_TIMEOUT,
    );
    const headersTimeout = spec.untimed || spec.body !== undefined ? 0 : this.#headersTimeout;
    const ctx: CallContext = {
      method: spec.method,
      path: spec.path,
      host: connection.endpoint.host,
      signal: spec.signal,
      headersTimeout,
    };
    if (spec.signal?.aborted) throw transportError(spec.signal.reason, ctx);
    const headers: Record<string, string> = { ...spec.headers };
    let body: Dispatcher.DispatchOptions['body'];
    let bodyFailure: { err: unknown } | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (typeof spec.body === 'string' || Buffer.isBuffer(spec.body)) {
      body = spec.body;
    } else if (spec.body !== undefined) {
      // A failure reading the caller's stream (an unreadable file in a build context) is told
      // apart from a failure of the connection, which it would otherwise look like (EACCES...).
      body = guardBody(spec.body, (err) => {
        bodyFailure ??= { err };
      }) as unknown as Dispatcher.DispatchOptions['body'];
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await connection.dispatcher.request({
        origin: connection.origin,
        method: spec.method,
        path: `${path}${queryString(spec.query)}`,
        headers,
        body: body ?? null,
        signal: spec.signal ?? null,
        bodyTimeout: 0,
        headersTimeout,
      });
    } catch (err) {
      if (bodyFailure) throw bodySourceError(bodyFailure.err, ctx);
      throw transportError(err, ctx);
    }
    const response = new BodyResponse(res, ctx);
    if (res.statusCode >= 300 && res.statusCode !== 304) {
      const text = await response.text().catch(() => '');
      const message = daemonMessage(text) ?? `HTTP ${res.statusCode}`;
      throw errorForStatus(res.statusCode, message, {
        method: spec.method,
        path: spec.path,
        daemonMessage: message,
      });
    }
    return response;
  }

  /** A JSON request: sends, parses the answer. */
  async json<T>(spec: RequestSpec): Promise<T> {
    const res = await this.request(spec);
    return res.json<T>();
  }

  /** A request whose answer is not needed. */
  async call(spec: RequestSpec): Promise<void> {
    const res = await this.request(spec);
    await res.dump();
  }

  async close(): Promise<void> {
    const pending = this.#connection;
    this.#versionValue = undefined;
    this.#version = undefined;
    this.#connection = undefined;
    this.#resolved = undefined;
    if (pending) await (await pending.catch(() => undefined))?.close();
  }
}

/** The caller's body stream, with its failures reported to `onError` before they reach undici. */
async function* guardBody(
  source: TarStream,
  onError: (err: unknown) => void,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array>) yield chunk;
  } catch (err) {
    onError(err);
    throw err;
  }
}

/**
 * The error for a body stream that failed: a file system error names the file (LocalFileError);
 * any other error of the caller's stream is the caller's own and is passed on as it is.
 */
function bodySourceError(err: unknown, ctx: CallContext): unknown {
  if (ctx.signal?.aborted) return transportError(err, ctx);
  const e = err as { code?: unknown; path?: unknown; syscall?: unknown } | undefined;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return new LocalFileError(err, { method: ctx.method, path: ctx.path });
  }
  return err;
}

/** `promise`, or an AbortedError as soon as `signal` aborts (the promise itself runs on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  const ctx = { method: 'HEAD', path: '/_ping', signal };
  if (signal.aborted) return Promise.reject(transportError(signal.reason, ctx));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(transportError(signal.reason, ctx));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function daemonMessage(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    const parsed = JSON.parse(trimmed) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: the text itself is the message
  }
  return trimmed.length > 500 ? `${trimmed.slice(0, 500)}...` : trimmed;
}

function flatHeaders(raw: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in raw) {
    const value = raw[key];
    if (value !== undefined)
      out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** An undici response seen through our own type: typed errors, headers flattened on demand. */
class BodyResponse implements EngineResponse {
  readonly statusCode: number;
  readonly #res: Dispatcher.ResponseData;
  readonly #ctx: CallContext;
  #headers: Record<string, string> | undefined;

  constructor(res: Dispatcher.ResponseData, ctx: CallContext) {
    this.statusCode = res.statusCode;
    this.#res = res;
    this.#ctx = ctx;
  }

  get headers(): Record<string, string> {
    this.#headers ??= flatHeaders(this.#res.headers);
    return this.#headers;
  }

  get body(): AsyncIterable<Buffer> {
    return { [Symbol.asyncIterator]: () => this.#bytes() };
  }

  async *#bytes(): AsyncGenerator<Buffer> {
    const body = this.#res.body;
    let done = false;
    try {
      for await (const chunk of body) yield chunk as Buffer;
      done = true;
    } catch (err) {
      throw transportError(err, this.#ctx);
    } finally {
      if (!done) body.destroy();
    }
  }

  async text(): Promise<string> {
    try {
      return await this.#res.body.text();
    } catch (err) {
      throw transportError(err, this.#ctx);
    }
  }

  async json<T>(): Promise<T> {
    const text = await this.text();
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      const { method, path } = this.#ctx;
      throw new StreamError(`the engine answered ${method} ${path} with invalid JSON`, {
        method,
        path,
        statusCode: this.statusCode,
        cause,
      });
    }
  }

  async dump(): Promise<void> {
    try {
      await this.#res.body.dump();
    } catch (err) {
      throw transportError(err, this.#ctx);
    }
  }

  stream(): Readable {
    const body = this.#res.body;
    const out = new PassThrough();
    body.on('error', (err) => out.destroy(transportError(err, this.#ctx)));
    out.on('close', () => {
      if (!body.readableEnded) body.destroy();
    });
    body.pipe(out);
    return out;
  }

  destroy(): void {
    this.#res.body.destroy();
  }
}
