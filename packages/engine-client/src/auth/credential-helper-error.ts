import { EngineError } from '../errors.js';

/**
 * A docker credential helper could not be run or failed. The message names the helper, the
 * registry and the exit code, never a credential (the helper's output is not quoted).
 */
export class CredentialHelperError extends EngineError {
  override readonly code = 'ENGINE_CREDENTIAL_HELPER';
  readonly helper: string;

  constructor(helper: string, message: string, cause?: unknown) {
    super(`docker-credential-${helper}: ${message}`, cause === undefined ? {} : { cause });
    this.helper = helper;
  }
}
