/** Errors of @imgext/lifecycle. `code` is stable; messages are for people. */
export type LifecycleErrorCode =
  | 'ERR_PHASE_FAILED'
  | 'ERR_DETECT_FAILED'
  | 'ERR_PHASE_ABORTED'
  | 'ERR_SESSION_STATE'
  | 'ERR_ARCHIVE'
  | 'ERR_DAEMON_SOCKET'
  | 'ERR_APP_NOT_DIR'
  | 'ERR_APP_READ'
  | 'ERR_APP_CHANGED';

export interface LifecycleErrorDetails {
  phase?: string;
  /** The phase's exit code (not the CLI's: `exitCode` is what the CLI would exit with). */
  phaseExitCode?: number;
  hint?: string;
  /** The last lines the phase logged. */
  logTail?: string[];
  cause?: unknown;
}

export class LifecycleError extends Error {
  override name = 'LifecycleError';
  readonly code: LifecycleErrorCode;
  readonly phase: string | undefined;
  readonly phaseExitCode: number | undefined;
  readonly hint: string | undefined;
  readonly logTail: string[];

  constructor(code: LifecycleErrorCode, message: string, details: LifecycleErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.phase = details.phase;
    this.phaseExitCode = details.phaseExitCode;
    this.hint = details.hint;
    this.logTail = details.logTail ?? [];
  }
}
