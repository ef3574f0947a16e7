/** Stable codes of every error @imgext/extender throws. */
export type ExtenderErrorCode =
  | 'ERR_EXTENSION_BUILD_FAILED'
  | 'ERR_RUN_IMAGE_ROOT'
  | 'ERR_IMAGE_MISSING'
  | 'ERR_CANCELLED'
  | 'ERR_LAYOUT'
  | 'ERR_SCHEDULE'
  | 'ERR_INVALID_OPTION';

export interface ExtenderErrorDetails {
  extension?: string;
  /** The Dockerfile being applied. */
  dockerfile?: string;
  /** The failing step as the daemon reported it ('Step 3/5 : RUN false'). */
  step?: string;
  /** The line of the Dockerfile the failing step comes from, when known. */
  line?: number;
  cause?: unknown;
}

export class ExtenderError extends Error {
  override readonly name = 'ExtenderError';
  readonly code: ExtenderErrorCode;
  readonly extension?: string;
  readonly dockerfile?: string;
  readonly step?: string;
  readonly line?: number;

  constructor(code: ExtenderErrorCode, message: string, details: ExtenderErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.extension !== undefined) this.extension = details.extension;
    if (details.dockerfile !== undefined) this.dockerfile = details.dockerfile;
    if (details.step !== undefined) this.step = details.step;
    if (details.line !== undefined) this.line = details.line;
  }
}

/** The task was cancelled because a sibling failed or the caller aborted. */
export class CancelledError extends ExtenderError {
  constructor(message = 'cancelled', details: ExtenderErrorDetails = {}) {
    super('ERR_CANCELLED', message, details);
  }
}
