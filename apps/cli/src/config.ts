/**
 * imgext's config file, as pack has ~/.pack/config.toml: `$IMGEXT_CONFIG`, else
 * `$XDG_CONFIG_HOME/imgext/config.toml`, else `~/.config/imgext/config.toml`. A missing file is an
 * empty config. Keys (pack's names):
 *
 *   default-builder = "imgext.local/sample/builder:latest"
 *   [[trusted-builders]]
 *   name = "imgext.local/sample/builder:latest"
 *
 * (`trusted-builders = ["a", "b"]` is read too.) Builders are matched on the normalised reference.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MetadataError, normalizeReference, parseToml } from '@imgext/metadata';

export interface ImgextConfig {
  /** The file read (whether or not it exists). */
  path: string;
  /** The file exists. */
  exists: boolean;
  /** `default-builder`: the builder of `imgext build` when --builder is not given. */
  defaultBuilder?: string;
  /** `trusted-builders`: builders whose own lifecycle may run the daemon-access phases. */
  trustedBuilders: string[];
}

/** A config file that cannot be read or has a wrong key; `code` is stable, exit code 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'IMGEXT_CONFIG_INVALID';
  readonly exitCode = 2;
  readonly hint: string | undefined;
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.hint = opts.hint;
  }
}

type Env = Record<string, string | undefined>;

/** Where the config file is, from the environment. */
export function configPath(env: Env): string {
  if (env.IMGEXT_CONFIG) return env.IMGEXT_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'imgext', 'config.toml');
}

/** Reads the config file; a missing one is an empty config. */
export async function readConfig(env: Env): Promise<ImgextConfig> {
  const path = configPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { path, exists: false, trustedBuilders: [] };
    }
    throw new ConfigError(`cannot read the config file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseConfig(text, path);
}

/** Parses the text of a config file (`path` names it in errors). */
export function parseConfig(text: string, path: string): ImgextConfig {
  let table: Record<string, unknown>;
  try {
    table = parseToml(text, path);
  } catch (err) {
    const line = err instanceof MetadataError && err.line ? `, line ${err.line}` : '';
    throw new ConfigError(
      `the config file ${path}${line} is not valid TOML: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const config: ImgextConfig = { path, exists: true, trustedBuilders: [] };
  const bad = (key: string, want: string): never => {
    throw new ConfigError(`the config file ${path}: ${key} must be ${want}`);
  };
  const db = table['default-builder'];
  if (db !== undefined) {
    if (typeof db !== 'string' || db === '') bad('default-builder', 'a non-empty string');
    config.defaultBuilder = db as string;
  }
  const tb = table['trusted-builders'];
  if (tb !== undefined) {
    if (!Array.isArray(tb)) bad('trusted-builders', 'a list ([[trusted-builders]] name = "...")');
    for (const entry of tb as unknown[]) {
      const name =
        typeof entry === 'string'
          ? entry
          : entry && typeof entry === 'object'
            ? (entry as { name?: unknown }).name
            : undefined;
      if (typeof name !== 'string' || name === '') {
        bad('trusted-builders', 'a list of builders, each with a name');
      }
      config.trustedBuilders.push(name as string);
    }
  }
  return config;
}

/** Whether `builder` is in the trusted-builders list (compared as normalised references). */
export function isTrustedBuilder(
  config: Pick<ImgextConfig, 'trustedBuilders'>,
  builder: string,
): boolean {
  const want = normalizeReference(builder);
  return config.trustedBuilders.some((b) => normalizeReference(b) === want);
}
