import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readJsonFile } from './docker-config.js';
import { EndpointConfigError } from './endpoint-config-error.js';

/** The docker endpoint of a docker context, as stored by `docker context create`. */
export interface ContextEndpoint {
  name: string;
  host: string;
  skipTlsVerify: boolean;
  /** Where the context's ca.pem, cert.pem and key.pem live (when it has any). */
  tlsDir: string;
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

/** The docker CLI stores a context under the hex SHA-256 of its name. */
export function contextDigest(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** Reads context `name` from `<configDir>/contexts/`; 'default' has no stored endpoint. */
export function readContext(configDir: string, name: string): ContextEndpoint | undefined {
  if (name === 'default') return undefined;
  const digest = contextDigest(name);
  const metaPath = join(configDir, 'contexts', 'meta', digest, 'meta.json');
  const meta = readJsonFile(metaPath) as ContextMeta | undefined;
  if (meta === undefined) {
    throw new EndpointConfigError(`docker context "${name}" not found (no ${metaPath})`);
  }
  const docker = meta.Endpoints?.docker;
  if (typeof docker?.Host !== 'string' || docker.Host === '') {
    throw new EndpointConfigError(
      `docker context "${name}" has no docker endpoint host (${metaPath})`,
    );
  }
  return {
    name,
    host: docker.Host,
    skipTlsVerify: docker.SkipTLSVerify === true,
    tlsDir: join(configDir, 'contexts', 'tls', digest, 'docker'),
  };
}
