export type { DockerConfigFile } from './docker-config.js';
export { dockerConfigDir, readDockerConfig } from './docker-config.js';
export { EndpointConfigError } from './endpoint-config-error.js';
export { type HostTarget, parseHost } from './parse-host.js';
export { type Connection, connect, resolveConnection } from './resolve-connection.js';
export { type EndpointDetails, publicEndpoint, resolveEndpoint } from './resolve-endpoint.js';
