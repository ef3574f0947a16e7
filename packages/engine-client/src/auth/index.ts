export {
  type AuthResolver,
  type AuthResolverOptions,
  createAuthResolver,
  type SkipListener,
} from './auth-resolver.js';
export { CredentialHelperError } from './credential-helper-error.js';
export { encodeAuthHeader } from './encode-auth-header.js';
export { canonicalHost, DOCKER_HUB_KEY, registryOf } from './registry-host.js';
