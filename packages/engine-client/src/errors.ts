/**
 * Typed errors of the engine client. Every error carries a stable string `code`; those raised by a
 * request also carry its method, path (never the query string's credentials: none are put there),
 * status code and the daemon's own message. No credential ever reaches a message.
 */

import type { CredentialHelperError } from './auth/credential-helper-error.js';
import type { EndpointConfigError } from './connection/endpoint-config-error.js';

export interface EngineErrorDetails {
  method?: string;
  path?: string;
  statusCode?: number;
  /** The daemon's message (the `message` of its JSON error body), when it gave one. */
  daemonMessage?: string;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly code: string = 'ENGINE_ERROR';
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly statusCode: number | undefined;
  readonly daemonMessage: string | undefined;

  constructor(message: string, details: EngineErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.method = details.method;
    this.path = details.path;
    this.statusCode = details.statusCode;
    this.daemonMessage = details.daemonMessage;
  }
}

/** 404: no such image, container, volume... */
export class NotFoundError extends EngineError {
  override readonly code = 'ENGINE_NOT_FOUND';
}

/** 409: name in use, image in use, container running... */
export class ConflictError extends EngineError {
  override readonly code = 'ENGINE_CONFLICT';
}

/** 400: the daemon refused the request's parameters. */
export class BadRequestError extends EngineError {
  override readonly code = 'ENGINE_BAD_REQUEST';
}

/** 401/403: the daemon or a registry refused the credentials. */
export class UnauthorizedError extends EngineError {
  override readonly code = 'ENGINE_UNAUTHORIZED';
}

/** 5xx and any other unexpected status. */
export class ServerError extends EngineError {
  override readonly code = 'ENGINE_SERVER_ERROR';
}

/**
 * The daemon could not be reached; `hint` says what to check. The hint is kept out of `message`
 * (a renderer shows both: putting it in the message too made it appear twice).
 */
export class ConnectionError extends EngineError {
  override readonly code = 'ENGINE_CONNECTION';
  readonly hint: string | undefined;
  /** The system error code (ENOENT, EACCES, ECONNREFUSED...) when there was one. */
  readonly syscallCode: string | undefined;

  constructor(
    message: string,
    details: EngineErrorDetails & { hint?: string; syscallCode?: string } = {},
  ) {
    super(message, details);
    this.hint = details.hint;
    this.syscallCode = details.syscallCode;
  }
}

/**
 * The engine did not accept the connection, or accepted it and sent no response headers, within
 * the configured timeout (EngineClientOptions.timeouts). Streams are never timed once answering.
 */
export class EngineTimeoutError extends EngineError {
  override readonly code = 'ENGINE_TIMEOUT';
  readonly hint: string | undefined;
  /** Which timeout expired. */
  readonly phase: 'connect' | 'headers';
  /** The timeout in milliseconds, when known. */
  readonly timeoutMs: number | undefined;

  constructor(
    message: string,
    details: EngineErrorDetails & {
      hint?: string;
      phase: 'connect' | 'headers';
      timeoutMs?: number;
    },
  ) {
    super(message, details);
    this.hint = details.hint;
    this.phase = details.phase;
    this.timeoutMs = details.timeoutMs;
  }
}

const FILE_PROBLEMS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
};

/**
 * A local file could not be read while sending a request body (a build context, an archive):
 * the problem is on this machine, not the engine's. `file` names it when the system error did.
 */
export class LocalFileError extends EngineError {
  override readonly code = 'ENGINE_LOCAL_FILE';
  /** The file that could not be read, when known. */
  readonly file: string | undefined;
  /** The system error code (EACCES, ENOENT...). */
  readonly syscallCode: string | undefined;

  constructor(err: unknown, details: EngineErrorDetails = {}) {
    const e = err as { code?: unknown; path?: unknown; message?: unknown } | undefined;
    const syscallCode = typeof e?.code === 'string' ? e.code : undefined;
    const file = typeof e?.path === 'string' ? e.path : undefined;
    const problem = (syscallCode && FILE_PROBLEMS[syscallCode]) ?? String(e?.message ?? err);
    const what = file ? `cannot read ${file}` : 'cannot read the request body';
    const sending = details.method ? ` (sending ${details.method} ${details.path ?? ''})` : '';
    super(`${what}: ${problem}${syscallCode ? ` (${syscallCode})` : ''}${sending}`, {
      ...details,
      cause: err,
    });
    this.file = file;
    this.syscallCode = syscallCode;
  }
}

/** The daemon's API version is below the client's floor. */
export class ApiVersionTooOldError extends EngineError {
  override readonly code = 'ENGINE_API_VERSION';
  readonly serverVersion: string;
  readonly minimumVersion: string;

  constructor(serverVersion: string, minimumVersion: string, details: EngineErrorDetails = {}) {
    super(
      `the engine speaks API ${serverVersion}, older than the minimum ${minimumVersion} this client supports; upgrade the engine`,
      details,
    );
    this.serverVersion = serverVersion;
    this.minimumVersion = minimumVersion;
  }
}

/** A build failed, possibly in-band after a 200. */
export class BuildError extends EngineError {
  override readonly code = 'ENGINE_BUILD_FAILED';
  /** The step that failed ('Step 3/5 : RUN false'), when known. */
  readonly step: string | undefined;
  /** Every text line of the build output up to the failure. */
  readonly transcript: string[];
  /**
   * Short IDs of the images the failed build committed before it failed (steps that were not
   * cache hits): with the classic builder they stay behind as untagged images.
   */
  readonly newImageIds: string[];

  constructor(
    message: string,
    details: EngineErrorDetails & { step?: string; transcript: string[]; newImageIds?: string[] },
  ) {
    super(
      details.step ? `build failed at ${details.step}: ${message}` : `build failed: ${message}`,
      {
        ...details,
        daemonMessage: details.daemonMessage ?? message,
      },
    );
    this.step = details.step;
    this.transcript = details.transcript;
    this.newImageIds = details.newImageIds ?? [];
  }
}

/** A pull (or push, load, import) reported an in-band error. */
export class PullError extends EngineError {
  override readonly code = 'ENGINE_PULL_FAILED';
  readonly ref: string | undefined;

  constructor(message: string, details: EngineErrorDetails & { ref?: string } = {}) {
    super(message, { ...details, daemonMessage: details.daemonMessage ?? message });
    this.ref = details.ref;
  }
}

/** A response stream was malformed or cut short. */
export class StreamError extends EngineError {
  override readonly code = 'ENGINE_STREAM';
}

/** The call was cancelled through its AbortSignal. */
export class AbortedError extends EngineError {
  override readonly code = 'ENGINE_ABORTED';
}

export type EngineErrorCode =
  | 'ENGINE_ERROR'
  | NotFoundError['code']
  | ConflictError['code']
  | BadRequestError['code']
  | UnauthorizedError['code']
  | ServerError['code']
  | ConnectionError['code']
  | EngineTimeoutError['code']
  | ApiVersionTooOldError['code']
  | BuildError['code']
  | PullError['code']
  | StreamError['code']
  | AbortedError['code']
  | LocalFileError['code']
  | CredentialHelperError['code']
  | EndpointConfigError['code']
  | 'ENGINE_INVALID_REFERENCE';

/** The typed error for a non-2xx status. */
export function errorForStatus(
  statusCode: number,
  message: string,
  details: EngineErrorDetails,
): EngineError {
  const all = { ...details, statusCode };
  if (statusCode === 400) return new BadRequestError(message, all);
  if (statusCode === 401 || statusCode === 403) return new UnauthorizedError(message, all);
  if (statusCode === 404) return new NotFoundError(message, all);
  if (statusCode === 409) return new ConflictError(message, all);
  return new ServerError(message, all);
}

const HINTS: Record<string, string> = {
  ENOENT: 'the socket does not exist: is the engine running, and is DOCKER_HOST right?',
  EACCES:
    'permission denied on the socket: run as a user in the docker group or point DOCKER_HOST elsewhere',
  EPERM:
    'permission denied on the socket: run as a user in the docker group or point DOCKER_HOST elsewhere',
  ECONNREFUSED: 'connection refused: is the engine running and listening there?',
  ENOTFOUND: 'the host name does not resolve',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the engine closed the connection',
};

function syscallCodeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in HINTS) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function timeoutCodeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function isAbort(err: unknown): boolean {
  const e = err as { name?: string; code?: string } | undefined;
  return e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED' || e?.code === 'ABORT_ERR';
}

/** Wraps a transport failure (or an abort) into our typed error. */
export function transportError(
  err: unknown,
  details: {
    method?: string;
    path?: string;
    host?: string;
    signal?: AbortSignal | undefined;
    headersTimeout?: number | undefined;
  },
): EngineError {
  if (err instanceof EngineError) return err;
  if (details.signal?.aborted || isAbort(err)) {
    return new AbortedError(`${details.method ?? ''} ${details.path ?? ''} aborted`.trim(), {
      method: details.method,
      path: details.path,
      cause: err,
    });
  }
  const where = details.host ? ` at ${details.host}` : '';
  const what = err instanceof Error ? err.message : String(err);
  const timeout = timeoutCodeOf(err);
  if (timeout === 'UND_ERR_HEADERS_TIMEOUT') {
    const ms = details.headersTimeout;
    const within = ms ? ` within ${seconds(ms)}` : '';
    return new EngineTimeoutError(
      `the engine${where} accepted the connection but did not answer ${details.method ?? ''} ${details.path ?? ''}${within}`.replace(
        /\s+/g,
        ' ',
      ),
      {
        method: details.method,
        path: details.path,
        phase: 'headers',
        ...(ms ? { timeoutMs: ms } : {}),
        hint: 'is an engine listening there, and is it responsive? (the limit is the timeouts.headers option)',
        cause: err,
      },
    );
  }
  if (timeout === 'UND_ERR_CONNECT_TIMEOUT') {
    return new EngineTimeoutError(`cannot connect to the engine${where}: ${what}`, {
      method: details.method,
      path: details.path,
      phase: 'connect',
      hint: 'is the host reachable, and DOCKER_HOST right? (the limit is the timeouts.connect option)',
      cause: err,
    });
  }
  const syscallCode = syscallCodeOf(err);
  if (syscallCode) {
    return new ConnectionError(`cannot reach the engine${where}: ${what}`, {
      method: details.method,
      path: details.path,
      hint: HINTS[syscallCode],
      syscallCode,
      cause: err,
    });
  }
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (code.startsWith('UND_ERR_SOCKET') || code === 'UND_ERR_CLOSED' || code === 'EPIPE') {
    return new StreamError(`the connection to the engine broke${where}: ${what}`, {
      method: details.method,
      path: details.path,
      cause: err,
    });
  }
  return new EngineError(`${details.method ?? ''} ${details.path ?? ''} failed: ${what}`.trim(), {
    method: details.method,
    path: details.path,
    cause: err,
  });
}
