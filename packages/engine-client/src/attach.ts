/**
 * POST /containers/{id}/attach (and POST /exec/{id}/start, POST /session) through an HTTP upgrade: a 101 hands over the raw socket (output
 * demultiplexed unless TTY, stdin writable); any other answer is read whole and thrown as the
 * typed error for its status with the daemon's JSON message.
 */
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Connection } from './connection/index.js';
import { errorForStatus, transportError } from './errors.js';

export interface Upgraded {
  headers: Record<string, string>;
  socket: Duplex;
}

function parseRawHeaders(raw: Buffer[] | string[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    out[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
  }
  return out;
}

function messageOf(text: string, statusCode: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // plain text answer
  }
  return text.trim() || `HTTP ${statusCode}`;
}

/** Sends an upgrade request; resolves with the socket on 101, rejects with a typed error otherwise. */
export function upgrade(
  connection: Connection,
  opts: {
    path: string;
    apiPath: string;
    signal?: AbortSignal | undefined;
    /** The Upgrade protocol: 'tcp' (attach, the default) or 'h2c' (a BuildKit session). */
    protocol?: string;
    /** More request headers; an array value is sent as that many header lines. */
    headers?: Record<string, string | string[]>;
    /** A JSON body (exec start takes one); sent with content-type application/json. */
    json?: unknown;
  },
): Promise<Upgraded> {
  const ctx = {
    method: 'POST',
    path: opts.apiPath,
    host: connection.endpoint.host,
    signal: opts.signal,
  };
  return new Promise<Upgraded>((resolve, reject) => {
    let statusCode = 0;
    const body: Buffer[] = [];
    let abort: ((reason?: Error) => void) | undefined;
    let settled = false;
    const onAbort = () => abort?.(opts.signal?.reason as Error);
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    if (opts.signal?.aborted) {
      reject(transportError(opts.signal.reason, ctx));
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortFn) {
        abort = abortFn as (reason?: Error) => void;
        if (opts.signal?.aborted) onAbort();
      },
      onHeaders(status) {
        statusCode = status;
        return true;
      },
      onData(chunk) {
        body.push(chunk);
        return true;
      },
      onComplete() {
        const text = Buffer.concat(body).toString('utf8');
        const message = messageOf(text, statusCode);
        settle(() =>
          reject(
            errorForStatus(statusCode >= 300 ? statusCode : 502, message, {
              method: 'POST',
              path: opts.apiPath,
              daemonMessage: message,
            }),
          ),
        );
      },
      onError(err) {
        settle(() => reject(transportError(err, ctx)));
      },
      onUpgrade(_status, rawHeaders, socket) {
        settle(() =>
          resolve({ headers: parseRawHeaders(rawHeaders as Buffer[] | null), socket: socket }),
        );
        if (settled && opts.signal?.aborted) socket.destroy();
      },
    };
    connection.dispatcher.dispatch(
      {
        origin: connection.origin,
        method: 'POST',
        path: opts.path,
        upgrade: opts.protocol ?? 'tcp',
        headers: {
          'content-type': opts.json === undefined ? 'text/plain' : 'application/json',
          ...opts.headers,
        },
        ...(opts.json === undefined ? {} : { body: Buffer.from(JSON.stringify(opts.json)) }),
        bodyTimeout: 0,
        headersTimeout: 0,
      },
      handler,
    );
  });
}
