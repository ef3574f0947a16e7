import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EndpointConfigError } from './endpoint-config-error.js';

/** The parts of `$DOCKER_CONFIG/config.json` this package reads. */
export interface DockerConfigFile {
  currentContext?: string;
  auths?: Record<
    string,
    {
      auth?: string;
      username?: string;
      password?: string;
      identitytoken?: string;
      registrytoken?: string;
    }
  >;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** `configDir` option, else DOCKER_CONFIG, else ~/.docker (as the docker CLI). */
export function dockerConfigDir(
  configDir: string | undefined,
  env: Record<string, string | undefined>,
): string {
  return configDir ?? (env.DOCKER_CONFIG || join(homedir(), '.docker'));
}

/** Reads and parses a JSON file; undefined when it does not exist. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EndpointConfigError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The file may hold credentials: name it, never quote it (nor the parser's excerpt).
    throw new EndpointConfigError(`${path} is not valid JSON`);
  }
}

/** `<configDir>/config.json`, or an empty config when there is none. */
export function readDockerConfig(configDir: string): DockerConfigFile {
  const path = join(configDir, 'config.json');
  const value = readJsonFile(path);
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EndpointConfigError(`${path} must hold a JSON object`);
  }
  return value as DockerConfigFile;
}
