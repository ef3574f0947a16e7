import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsOptions } from '../api.js';
import { EndpointConfigError } from './endpoint-config-error.js';

function readIfExists(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

/**
 * Reads ca.pem, cert.pem and key.pem from a docker cert folder. With `required` (an explicitly
 * named folder) the folder must exist and hold ca.pem when verifying; cert.pem and key.pem come
 * as a pair or not at all.
 */
export function readCertDir(
  dir: string,
  opts: { verify: boolean; required: boolean; what: string },
): TlsOptions {
  const isDir = existsSync(dir) && statSync(dir).isDirectory();
  if (opts.required && !isDir) {
    throw new EndpointConfigError(`${opts.what}: ${dir} is not a folder`);
  }
  const ca = isDir ? readIfExists(join(dir, 'ca.pem')) : undefined;
  const cert = isDir ? readIfExists(join(dir, 'cert.pem')) : undefined;
  const key = isDir ? readIfExists(join(dir, 'key.pem')) : undefined;
  if (opts.verify && opts.required && !ca) {
    throw new EndpointConfigError(
      `${opts.what}: TLS verification is on but ${join(dir, 'ca.pem')} is missing`,
    );
  }
  if (Boolean(cert) !== Boolean(key)) {
    const missing = cert ? 'key.pem' : 'cert.pem';
    throw new EndpointConfigError(
      `${opts.what}: ${join(dir, missing)} is missing (cert.pem and key.pem go together)`,
    );
  }
  return { ca, cert, key, verify: opts.verify };
}
