export type * from './api.js';
export { MAX_API_VERSION, MIN_API_VERSION } from './api-version.js';
export { CredentialHelperError } from './auth/credential-helper-error.js';
export { EngineClient } from './client.js';
export { EndpointConfigError } from './connection/endpoint-config-error.js';
export {
  AbortedError,
  ApiVersionTooOldError,
  BadRequestError,
  BuildError,
  ConflictError,
  ConnectionError,
  EngineError,
  type EngineErrorCode,
  type EngineErrorDetails,
  EngineTimeoutError,
  LocalFileError,
  NotFoundError,
  PullError,
  ServerError,
  StreamError,
  UnauthorizedError,
} from './errors.js';
export {
  DEFAULT_DOMAIN,
  type ImageReference,
  InvalidReferenceError,
  normalizeReference,
  parseImageReference,
} from './image-reference.js';
export { demux, FrameDecoder } from './streams/demux.js';
export { JsonLineDecoder, jsonLines } from './streams/json-lines.js';
