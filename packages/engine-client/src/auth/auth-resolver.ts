import type { RegistryAuth } from '../api.js';
import {
  type DockerConfigFile,
  dockerConfigDir,
  readDockerConfig,
} from '../connection/docker-config.js';
import { helperGet, helperList } from './credential-helper.js';
import { CredentialHelperError } from './credential-helper-error.js';
import { canonicalHost, registryOf, serverAddressOf } from './registry-host.js';

export interface AuthResolverOptions {
  /** Folder holding config.json (as DOCKER_CONFIG). Default DOCKER_CONFIG, else ~/.docker. */
  configDir?: string;
  /** Environment for DOCKER_CONFIG and the helpers' PATH. Default process.env. */
  env?: Record<string, string | undefined>;
}

export interface AuthResolver {
  /** Credentials for the registry of an image reference, or undefined when there are none. */
  authFor(ref: string): Promise<RegistryAuth | undefined>;
  /**
   * Every credential the config knows, keyed by server address (for X-Registry-Config). With
   * `onSkip`, a helper that cannot be run or fails is skipped and reported there (as `docker
   * build` ignores it) instead of failing the call.
   */
  allConfigs(onSkip?: SkipListener): Promise<Record<string, RegistryAuth>>;
  /**
   * Credentials only for the registries of `refs` (image references or registry hosts), keyed
   * by server address: runs only the helpers those registries need. `onSkip` as for allConfigs.
   */
  configsFor(refs: string[], onSkip?: SkipListener): Promise<Record<string, RegistryAuth>>;
}

/** Told about a credential helper that was skipped because it could not be run or failed. */
export type SkipListener = (error: CredentialHelperError) => void;

/** Runs `step`; a CredentialHelperError goes to `onSkip` when there is one, else is thrown. */
async function tolerant<T>(
  step: () => Promise<T>,
  onSkip: SkipListener | undefined,
): Promise<T | undefined> {
  try {
    return await step();
  } catch (err) {
    if (onSkip && err instanceof CredentialHelperError) {
      onSkip(err);
      return undefined;
    }
    throw err;
  }
}

type FileEntry = NonNullable<DockerConfigFile['auths']>[string];

/** A config.json `auths` entry as RegistryAuth: the base64 `auth` or username/password, tokens. */
function fromFileEntry(entry: FileEntry, serveraddress: string): RegistryAuth | undefined {
  const auth: RegistryAuth = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      auth.username = decoded.slice(0, colon);
      auth.password = decoded.slice(colon + 1);
    }
  } else if (entry.username) {
    auth.username = entry.username;
    auth.password = entry.password ?? '';
  }
  if (entry.identitytoken) auth.identitytoken = entry.identitytoken;
  if (entry.registrytoken) auth.registrytoken = entry.registrytoken;
  if (Object.keys(auth).length === 0) return undefined;
  return { ...auth, serveraddress };
}

/** The `auths` entry whose key names `host` (keys may carry a scheme and path). */
function fileEntryFor(config: DockerConfigFile, host: string): RegistryAuth | undefined {
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (canonicalHost(key) === host) return fromFileEntry(entry, key);
  }
  return undefined;
}

function helperFor(config: DockerConfigFile, host: string): string | undefined {
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
    if (canonicalHost(key) === host && helper) return helper;
  }
  return undefined;
}

/**
 * Registry credentials from `$DOCKER_CONFIG/config.json`, as the docker CLI finds them:
 * credHelpers[host], else the credsStore helper, else the file's `auths`. The config is read on
 * every call, so a `docker login` in between is seen.
 */
export function createAuthResolver(opts: AuthResolverOptions = {}): AuthResolver {
  const env = opts.env ?? process.env;
  const config = () => readDockerConfig(dockerConfigDir(opts.configDir, env));

  async function authForHost(
    cfg: DockerConfigFile,
    host: string,
  ): Promise<RegistryAuth | undefined> {
    const server = serverAddressOf(host);
    const helper = helperFor(cfg, host);
    if (helper) return helperGet(helper, server, env);
    if (cfg.credsStore) {
      const stored = await helperGet(cfg.credsStore, server, env);
      if (stored) return stored;
    }
    return fileEntryFor(cfg, host);
  }

  return {
    authFor: (ref) => authForHost(config(), registryOf(ref)),

    async allConfigs(onSkip) {
      const cfg = config();
      const all: Record<string, RegistryAuth> = {};
      for (const [key, entry] of Object.entries(cfg.auths ?? {})) {
        const auth = fromFileEntry(entry, key);
        if (auth) all[key] = auth;
      }
      const store = cfg.credsStore;
      if (store) {
        const servers = (await tolerant(() => helperList(store, env), onSkip)) ?? [];
        for (const server of servers) {
          const auth = await tolerant(() => helperGet(store, server, env), onSkip);
          if (auth) all[server] = auth;
        }
      }
      for (const [key, helper] of Object.entries(cfg.credHelpers ?? {})) {
        const server = serverAddressOf(canonicalHost(key));
        const auth = await tolerant(() => helperGet(helper, server, env), onSkip);
        if (auth) all[key] = auth;
      }
      return all;
    },

    async configsFor(refs, onSkip) {
      const cfg = config();
      const found: Record<string, RegistryAuth> = {};
      for (const host of new Set(refs.map((ref) => registryOf(ref)))) {
        const auth = await tolerant(() => authForHost(cfg, host), onSkip);
        if (auth) found[auth.serveraddress ?? serverAddressOf(host)] = auth;
      }
      return found;
    },
  };
}
