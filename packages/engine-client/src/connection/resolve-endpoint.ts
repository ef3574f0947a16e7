import type { EngineClientOptions, ResolvedEndpoint, SshOptions, TlsOptions } from '../api.js';
import { dockerConfigDir, readDockerConfig } from './docker-config.js';
import { type ContextEndpoint, readContext } from './docker-context.js';
import { EndpointConfigError } from './endpoint-config-error.js';
import { type HostTarget, parseHost } from './parse-host.js';
import { readCertDir } from './tls-material.js';

const DEFAULT_HOST = 'unix:///var/run/docker.sock';

/**
 * Everything needed to connect. The ResolvedEndpoint fields are the public view; the rest (TLS key
 * material included) stays inside the connection: expose `publicEndpoint(details)`, not this.
 */
export interface EndpointDetails extends ResolvedEndpoint {
  target: HostTarget;
  /** TLS material when TLS is on (tcp only). */
  tlsOptions: TlsOptions | undefined;
  /** The docker context the endpoint came from, if any. */
  context: string | undefined;
  ssh: SshOptions;
  connections: number;
  /** Milliseconds to open a connection; 0 waits forever. */
  connectTimeout: number;
}

/** Default connect timeout (ms). */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;
/** Default response-header timeout (ms) for requests that are not long streams. */
export const DEFAULT_HEADERS_TIMEOUT = 60_000;

/** A timeout option in ms: a non-negative integer, 0 meaning none. */
export function timeoutOption(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new EndpointConfigError(`timeouts.${name} must be a non-negative integer (milliseconds)`);
  }
  return value;
}

type Env = Record<string, string | undefined>;

/** TLS from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH, as the docker CLI reads them. */
function tlsFromEnv(env: Env, configDir: string): TlsOptions | undefined {
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  const certPath = env.DOCKER_CERT_PATH;
  if (!verify && !env.DOCKER_TLS && !certPath) return undefined;
  return readCertDir(certPath || configDir, {
    verify,
    required: Boolean(certPath),
    what: certPath ? 'DOCKER_CERT_PATH' : 'docker TLS',
  });
}

function tlsFromContext(ctx: ContextEndpoint): TlsOptions | undefined {
  const tls = readCertDir(ctx.tlsDir, {
    verify: !ctx.skipTlsVerify,
    required: false,
    what: `docker context "${ctx.name}"`,
  });
  const hasMaterial = Boolean(tls.ca || tls.cert);
  return hasMaterial || ctx.skipTlsVerify ? tls : undefined;
}

interface Choice {
  source: ResolvedEndpoint['source'];
  host: string;
  context?: ContextEndpoint | undefined;
  contextName?: string;
}

/** explicit option > DOCKER_HOST > DOCKER_CONTEXT > config currentContext > default socket. */
function chooseHost(opts: EngineClientOptions, env: Env, configDir: string): Choice {
  if (opts.host && opts.context) {
    throw new EndpointConfigError('give either the host or the context option, not both');
  }
  if (opts.host) return { source: 'option', host: opts.host };
  const fromContext = (source: Choice['source'], name: string): Choice => {
    const context = readContext(configDir, name);
    return { source, host: context?.host ?? DEFAULT_HOST, context, contextName: name };
  };
  if (opts.context) return fromContext('option', opts.context);
  if (env.DOCKER_HOST) return { source: 'DOCKER_HOST', host: env.DOCKER_HOST };
  if (env.DOCKER_CONTEXT) return fromContext('DOCKER_CONTEXT', env.DOCKER_CONTEXT);
  const current = readDockerConfig(configDir).currentContext;
  if (current) return fromContext('config', current);
  return { source: 'default', host: DEFAULT_HOST };
}

/**
 * Works out where the daemon is and how to reach it, reading only the environment and the docker
 * config and context files. Throws EndpointConfigError for any configuration mistake.
 */
export function resolveEndpoint(opts: EngineClientOptions = {}): EndpointDetails {
  const env = opts.env ?? process.env;
  const configDir = dockerConfigDir(opts.configDir, env);
  const choice = chooseHost(opts, env, configDir);
  let target = parseHost(choice.host);
  let tls: TlsOptions | undefined;
  if (target.transport === 'tcp') {
    if (opts.tls) tls = { ...opts.tls, verify: opts.tls.verify ?? true };
    else if (choice.context) tls = tlsFromContext(choice.context);
    else if (choice.contextName === undefined) tls = tlsFromEnv(env, configDir);
    const port = target.port ?? (tls ? 2376 : 2375);
    target = { ...target, port, host: `tcp://${target.hostname}:${port}` };
  }
  const connections = opts.connections ?? 16;
  if (!Number.isInteger(connections) || connections < 1) {
    throw new EndpointConfigError('connections must be a positive integer');
  }
  return {
    transport: target.transport,
    host: target.host,
    tls: tls !== undefined,
    source: choice.source,
    target,
    tlsOptions: tls,
    context: choice.contextName,
    ssh: opts.ssh ?? {},
    connections,
    connectTimeout: timeoutOption(opts.timeouts?.connect, 'connect', DEFAULT_CONNECT_TIMEOUT),
  };
}

/** The secret-free view of endpoint details. */
export function publicEndpoint(details: ResolvedEndpoint): ResolvedEndpoint {
  const { transport, host, tls, source } = details;
  return { transport, host, tls, source };
}
