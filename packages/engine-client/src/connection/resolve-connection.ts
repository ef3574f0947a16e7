import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Dispatcher } from 'undici';
import type { EngineClientOptions, ResolvedEndpoint } from '../api.js';
import { type EndpointDetails, publicEndpoint, resolveEndpoint } from './resolve-endpoint.js';
import { createSshConnector } from './ssh-connector.js';
import { Pool } from './undici-pool.js';

/** A pooled HTTP path to the daemon: connects are timed, responses are timed per request. */
export interface Connection {
  endpoint: ResolvedEndpoint;
  dispatcher: Dispatcher;
  /** 'http://localhost' for unix and ssh, 'http(s)://host:port' for tcp. */
  origin: string;
  /** Closes the pool (after in-flight requests) and ends every ssh process it started. */
  close(): Promise<void>;
}

// Long streams (wait, logs --follow, build, events) may be quiet for hours: no idle timeouts;
// the header timeout is set per request by the transport.
const NO_TIMEOUTS = { bodyTimeout: 0, headersTimeout: 0 } as const;

/** Opens (lazily: the first request connects) a connection pool for resolved endpoint details. */
export function connect(
  details: EndpointDetails,
  env: Record<string, string | undefined> = process.env,
): Connection {
  const { target, tlsOptions: tls, connections } = details;
  const timeout = details.connectTimeout;
  let origin = 'http://localhost';
  let pool: InstanceType<typeof Pool>;
  let children: Set<ChildProcess> | undefined;
  if (target.transport === 'unix') {
    pool = new Pool(origin, {
      ...NO_TIMEOUTS,
      connections,
      connect: { socketPath: target.socketPath, timeout },
    });
  } else if (target.transport === 'tcp') {
    origin = `${tls ? 'https' : 'http'}://${target.hostname}:${target.port}`;
    const connect = tls
      ? {
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          rejectUnauthorized: tls.verify !== false,
          timeout,
        }
      : { timeout };
    pool = new Pool(origin, { ...NO_TIMEOUTS, connections, connect });
  } else {
    const ssh = createSshConnector(target, details.ssh, env);
    children = ssh.children;
    pool = new Pool(origin, { ...NO_TIMEOUTS, connections, connect: ssh.connector });
  }
  return {
    endpoint: publicEndpoint(details),
    dispatcher: pool,
    origin,
    async close() {
      await pool.close();
      const running = [...(children ?? [])].filter(
        (c) => c.exitCode === null && c.signalCode === null,
      );
      for (const child of running) child.kill('SIGTERM');
      await Promise.all(running.map((child) => once(child, 'close')));
    },
  };
}

/** Resolves the endpoint (options > DOCKER_HOST > DOCKER_CONTEXT > config > default) and pools it. */
export async function resolveConnection(opts: EngineClientOptions = {}): Promise<Connection> {
  return connect(resolveEndpoint(opts), opts.env ?? process.env);
}
