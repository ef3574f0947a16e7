/**
 * Connecting: the endpoint options, TLS and ssh, the resolved endpoint, per-call options.
 * Part of the agreed public surface (gathered in ../api.ts).
 */

export interface TlsOptions {
  /** PEM contents (not paths). */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Verify the daemon's certificate against `ca` (DOCKER_TLS_VERIFY). Default true when TLS is on. */
  verify?: boolean;
}

export interface EngineClientOptions {
  /** unix:///path, tcp://host:port, ssh://[user@]host[:port], npipe is not supported. Overrides the environment. */
  host?: string;
  tls?: TlsOptions;
  /** Pin the API version (as DOCKER_API_VERSION does): no negotiation. */
  apiVersion?: string;
  /** Docker context name (as DOCKER_CONTEXT). */
  context?: string;
  /** Folder holding config.json and contexts/ (as DOCKER_CONFIG). Default ~/.docker. */
  configDir?: string;
  /** The environment to read DOCKER_* from. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Max concurrent connections to the daemon. Default 16. */
  connections?: number;
  /** For ssh:// hosts: the ssh program and extra arguments (e.g. ['-i', key, '-o', 'BatchMode=yes']). */
  ssh?: SshOptions;
  /** Connect and response-header timeouts; a stream, once its headers arrived, is never timed. */
  timeouts?: TimeoutOptions;
}

export interface TimeoutOptions {
  /** Milliseconds to open a connection (unix and tcp). Default 10 000; 0 waits forever. */
  connect?: number;
  /**
   * Milliseconds from sending a request (one without a body) to its response headers. Default
   * 60 000; 0 waits forever. Requests whose answer is a long stream or that upload a body (wait,
   * logs, events, build, pull, push, load, import, save, archive upload) are not timed.
   */
  headers?: number;
}

export interface SshOptions {
  /** The ssh program. Default 'ssh' (from PATH). */
  command?: string;
  /** Extra arguments placed before the destination. */
  args?: string[];
}

export interface ResolvedEndpoint {
  /** 'unix' | 'tcp' | 'ssh' */
  transport: 'unix' | 'tcp' | 'ssh';
  /** The host string as given or resolved (never with credentials). */
  host: string;
  tls: boolean;
  /** Where the endpoint came from: option, DOCKER_HOST, DOCKER_CONTEXT, config currentContext, default. */
  source: 'option' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'config' | 'default';
}

/** Every call takes these. */
export interface CallOptions {
  signal?: AbortSignal;
}
