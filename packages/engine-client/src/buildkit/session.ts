/**
 * A BuildKit session over the client's own connection: `POST /session` upgraded to h2c, after
 * which the hijacked socket carries HTTP/2 with the roles reversed: the daemon is the HTTP/2 (and
 * gRPC) client, we serve. The session announces the gRPC methods it serves in
 * `X-Docker-Expose-Session-Grpc-Method` headers; it lives as long as the socket: closing the
 * socket ends it (there is no DELETE).
 *
 * Works over every transport the client has (unix, tcp, tcp+TLS, ssh): the upgrade hands back
 * whatever duplex stream the connection pool runs on.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performServerHandshake, type ServerHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import { upgrade } from '../attach.js';
import type { Connection } from '../connection/index.js';
import { BuildkitUnavailableError, EngineError } from '../errors.js';
import { type GrpcHandler, serveGrpc } from './grpc-server.js';

export interface SessionOptions {
  connection: Connection;
  /** The negotiated API version ('1.45'). */
  apiVersion: string;
  /** The gRPC methods served, by path. */
  handlers: ReadonlyMap<string, GrpcHandler>;
  /** Keys the daemon's cache of what this client sent before (the context directory's path). */
  sharedKey: string;
  name?: string;
  signal?: AbortSignal | undefined;
  /** The session ended before close() was called (the socket dropped). */
  onDropped?: (err: Error) => void;
  /** A handler threw something unexpected (it was answered INTERNAL). */
  onHandlerError?: (path: string, err: unknown) => void;
}

export class BuildkitSession {
  readonly id: string;
  readonly #socket: Duplex;
  readonly #h2: ServerHttp2Session;
  #closing = false;
  readonly closed: Promise<void>;

  private constructor(id: string, socket: Duplex, h2: ServerHttp2Session, opts: SessionOptions) {
    this.id = id;
    this.#socket = socket;
    this.#h2 = h2;
    this.closed = new Promise<void>((resolve) => {
      let reported = false;
      const ended = (err?: Error) => {
        if (!reported && !this.#closing) {
          reported = true;
          opts.onDropped?.(err ?? new EngineError('the engine closed the BuildKit session'));
        }
        resolve();
      };
      socket.once('close', () => ended());
      h2.once('close', () => ended());
      h2.on('error', (err: Error) => ended(err));
      socket.on('error', (err: Error) => ended(err));
    });
  }

  /** Opens a session; resolves once the daemon switched protocols and HTTP/2 is being served. */
  static async open(opts: SessionOptions): Promise<BuildkitSession> {
    const id = randomUUID().replaceAll('-', '') + randomBytes(4).toString('hex');
    const apiPath = '/session';
    let upgraded: Awaited<ReturnType<typeof upgrade>>;
    try {
      upgraded = await upgrade(opts.connection, {
        path: `/v${opts.apiVersion}${apiPath}`,
        apiPath,
        protocol: 'h2c',
        signal: opts.signal,
        headers: {
          'x-docker-expose-session-uuid': id,
          'x-docker-expose-session-name': opts.name ?? 'imgext',
          'x-docker-expose-session-sharedkey': opts.sharedKey,
          'x-docker-expose-session-grpc-method': [...opts.handlers.keys()],
        },
      });
    } catch (err) {
      // podman has no /session; an engine without BuildKit answers 404 or 400 too
      if (err instanceof EngineError && err.statusCode !== undefined && err.statusCode < 500) {
        throw new BuildkitUnavailableError(
          `the engine refused a session (POST /session answered ${err.statusCode}: ${err.daemonMessage ?? err.message})`,
          { method: 'POST', path: apiPath, statusCode: err.statusCode, cause: err },
        );
      }
      throw err;
    }
    const { socket } = upgraded;
    const h2 = performServerHandshake(socket);
    const session = new BuildkitSession(id, socket, h2, opts);
    serveGrpc(h2, opts.handlers, {
      ...(opts.onHandlerError ? { onHandlerError: opts.onHandlerError } : {}),
    });
    return session;
  }

  /** Ends the session: the daemon sees its connection close. Idempotent. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      // On the next tick: right after the handshake, Node's HTTP/2 session still has to feed it
      // what the daemon sent with its answer (a tick queued then), and fails on a destroyed one.
      process.nextTick(() => {
        this.#h2.destroy();
        this.#socket.destroy();
      });
    }
    return this.closed;
  }
}
