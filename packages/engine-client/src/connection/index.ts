/**
 * PLACEHOLDER written by the core engineer until the connection engineer's module lands:
 * unix:// only (option or DOCKER_HOST, else /var/run/docker.sock). Replace wholesale.
 */
import { Agent, type Dispatcher } from 'undici';
import type { EngineClientOptions, ResolvedEndpoint } from '../api.js';

export interface Connection {
  endpoint: ResolvedEndpoint;
  dispatcher: Dispatcher;
  origin: string;
  close(): Promise<void>;
}

export async function resolveConnection(opts: EngineClientOptions): Promise<Connection> {
  const env = opts.env ?? process.env;
  const source: ResolvedEndpoint['source'] = opts.host
    ? 'option'
    : env.DOCKER_HOST
      ? 'DOCKER_HOST'
      : 'default';
  const host = opts.host ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://')) {
    throw new Error(`placeholder connection supports unix:// only, not ${host}`);
  }
  const socketPath = host.slice('unix://'.length);
  const dispatcher = new Agent({
    connect: { socketPath },
    bodyTimeout: 0,
    headersTimeout: 0,
    connections: opts.connections ?? 16,
  });
  return {
    endpoint: { transport: 'unix', host, tls: false, source },
    dispatcher,
    origin: 'http://localhost',
    close: () => dispatcher.close(),
  };
}
