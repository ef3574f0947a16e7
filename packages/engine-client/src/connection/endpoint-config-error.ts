import { EngineError, type EngineErrorDetails } from '../errors.js';

/**
 * The endpoint configuration is wrong: a malformed host, an unknown docker context, missing TLS
 * files. Raised before any connection is attempted; the message says what to fix.
 */
export class EndpointConfigError extends EngineError {
  override readonly code = 'ENGINE_ENDPOINT_CONFIG';

  constructor(message: string, details: EngineErrorDetails = {}) {
    super(message, details);
  }
}
