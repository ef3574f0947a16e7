/** Errors of `buildApp`. `code` is stable (the CLI prints it); messages are for people. */
export type BuildAppErrorCode =
  | 'ERR_BUILDER_NOT_FOUND'
  | 'ERR_BUILDER_PULL_FAILED'
  | 'ERR_NOT_A_BUILDER'
  | 'ERR_NO_RUN_IMAGE'
  | 'ERR_NO_ANALYZED'
  | 'ERR_INVALID_ENV'
  | 'ERR_INVALID_REFERENCE'
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_APP_FILES'
  | 'ERR_NO_OUTPUT'
  | 'ERR_NOT_ON_BUILDER'
  | 'ERR_LOCAL_MODULE_NOT_FOUND'
  | 'ERR_LOCAL_MODULE_NO_DESCRIPTOR'
  | 'ERR_LOCAL_MODULE_WRONG_KIND'
  | 'ERR_LOCAL_MODULE_INVALID'
  | 'ERR_LOCAL_MODULE_MISSING_BIN'
  | 'ERR_LOCAL_MODULE_ARCHIVE'
  | 'ERR_LOCAL_MODULE_UNSUPPORTED'
  | 'ERR_NO_LIFECYCLE_IMAGE'
  | 'ERR_NOT_A_LIFECYCLE_IMAGE'
  | 'ERR_IMAGE_NOT_FOUND'
  | 'ERR_NOT_AN_APP_IMAGE'
  | 'ERR_NOT_REBASABLE'
  | 'ERR_REGISTRY'
  | 'ERR_REGISTRY_UNAUTHORIZED'
  | 'ERR_REGISTRY_IMAGE_NOT_FOUND';

/** A build that cannot start or finish. */
export class BuildAppError extends Error {
  override name = 'BuildAppError';
  readonly code: BuildAppErrorCode;
  readonly hint: string | undefined;
  constructor(
    code: BuildAppErrorCode,
    message: string,
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint;
  }
}
