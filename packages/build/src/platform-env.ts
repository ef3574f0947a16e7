/** The platform env (/platform/env) from K=V entries, as pack reads --env and --env-file. */
import { BuildAppError } from './build-error.js';

export interface PlatformEnvSource {
  /** K=V, or K alone (its value taken from `env`; empty when unset, as pack). */
  entries: string[];
  /** Where the entries came from, for errors: '--env', a file name. */
  where: string;
}

/** Lines of an env file: blank lines and `#` comments skipped, the rest trimmed. */
export function envFileEntries(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

/** Later sources win. Throws `ERR_INVALID_ENV` for a name that is not an env name. */
export function platformEnv(
  sources: PlatformEnvSource[],
  env: Record<string, string | undefined> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { entries, where } of sources) {
    for (const entry of entries) {
      const eq = entry.indexOf('=');
      const key = eq < 0 ? entry : entry.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
        throw new BuildAppError('ERR_INVALID_ENV', `invalid env name "${key}" in ${where}`);
      out[key] = eq < 0 ? (env[key] ?? '') : entry.slice(eq + 1);
    }
  }
  return out;
}
