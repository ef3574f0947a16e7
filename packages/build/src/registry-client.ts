/**
 * A small read-only registry client (OCI distribution API) for `imgext inspect --registry`:
 * the manifest (an index resolved to this platform) and the config blob of one image, with the
 * user's docker-config credentials (Basic, or the bearer-token challenge). Registries on loopback
 * (127.0.0.1, localhost, ::1) are spoken to over http, every other one over https.
 */
import { parseReference } from '@imgext/metadata';
import { BuildAppError } from './build-error.js';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker login's identity token). */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
}

export interface RegistryImage {
  /** The manifest's digest (of the platform's manifest, when the tag names an index). */
  digest: string;
  /** The config blob's digest (the image ID). */
  configDigest: string;
  /** The layers' diffIDs (rootfs.diff_ids), oldest first. */
  diffIds: string[];
  /** The layers' blob digests as the manifest lists them. */
  layers: string[];
  config: {
    labels: Record<string, string>;
    /** created_by of each history entry, oldest first. */
    history: string[];
    os?: string;
    architecture?: string;
    created?: string;
  };
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** http for loopback registries, https for the rest. */
export function registryBaseUrl(registry: string): string {
  const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  const loopback = name === 'localhost' || name === '[::1]' || /^127\./.test(name ?? '');
  return `${loopback ? 'http' : 'https'}://${host}`;
}

const GOARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
};

export class RegistryClient {
  readonly #credentials: (registry: string) => Promise<RegistryCredentials | undefined>;
  readonly #tokens = new Map<string, string>();

  constructor(credentials: (ref: string) => Promise<RegistryCredentials | undefined>) {
    this.#credentials = credentials;
  }

  /** Reads the image `ref` names; ERR_REGISTRY_IMAGE_NOT_FOUND when the registry lacks it. */
  async image(ref: string, signal?: AbortSignal): Promise<RegistryImage> {
    const { registry, repository, reference } = parseReference(ref);
    const base = `${registryBaseUrl(registry)}/v2/${repository}`;
    let { body, digest } = await this.#get(ref, `${base}/manifests/${reference}`, signal);
    let manifest = JSON.parse(body.toString('utf8')) as Manifest;
    if (manifest.manifests) {
      const arch = GOARCH[process.arch] ?? process.arch;
      const pick =
        manifest.manifests.find(
          (m) => m.platform?.os === 'linux' && m.platform.architecture === arch,
        ) ?? manifest.manifests.find((m) => m.platform?.os !== 'unknown');
      if (!pick) throw notFound(ref, 'its index lists no image for this platform');
      ({ body, digest } = await this.#get(ref, `${base}/manifests/${pick.digest}`, signal));
      manifest = JSON.parse(body.toString('utf8')) as Manifest;
    }
    if (!manifest.config?.digest) throw notFound(ref, 'its manifest has no config');
    const configDigest = manifest.config.digest;
    const config = JSON.parse(
      (await this.#get(ref, `${base}/blobs/${configDigest}`, signal)).body.toString('utf8'),
    ) as ConfigBlob;
    const out: RegistryImage = {
      digest,
      configDigest,
      diffIds: config.rootfs?.diff_ids ?? [],
      layers: (manifest.layers ?? []).map((l) => l.digest),
      config: {
        labels: config.config?.Labels ?? {},
        history: (config.history ?? []).map((h) => h.created_by ?? ''),
      },
    };
    if (config.os) out.config.os = config.os;
    if (config.architecture) out.config.architecture = config.architecture;
    if (config.created) out.config.created = config.created;
    return out;
  }

  async #get(
    ref: string,
    url: string,
    signal?: AbortSignal,
  ): Promise<{ body: Buffer; digest: string }> {
    const registry = parseReference(ref).registry;
    const headers: Record<string, string> = { accept: MANIFEST_TYPES };
    const token = this.#tokens.get(registry);
    if (token) headers.authorization = token;
    let res = await this.#fetch(url, headers, signal);
    if (res.status === 401) {
      const auth = await this.#authorize(ref, res.headers.get('www-authenticate') ?? '', signal);
      if (auth) {
        this.#tokens.set(registry, auth);
        res = await this.#fetch(url, { ...headers, authorization: auth }, signal);
      }
    }
    if (res.status === 404) throw notFound(ref, 'the registry does not have it');
    if (res.status === 401 || res.status === 403) {
      throw new BuildAppError(
        'ERR_REGISTRY_UNAUTHORIZED',
        `the registry refused access to ${ref} (HTTP ${res.status})`,
        {
          hint: `log in to ${registry} (docker login), or check the credentials in the docker config`,
        },
      );
    }
    if (!res.ok) {
      throw new BuildAppError(
        'ERR_REGISTRY',
        `reading ${ref} from its registry failed: HTTP ${res.status} ${res.statusText}`,
      );
    }
    const body = Buffer.from(await res.arrayBuffer());
    return { body, digest: res.headers.get('docker-content-digest') ?? '' };
  }

  async #fetch(
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> {
    try {
      return await fetch(url, { headers, redirect: 'follow', ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new BuildAppError(
        'ERR_REGISTRY',
        `cannot reach the registry at ${new URL(url).host}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** Answers a 401 challenge: Basic credentials, or a bearer token from the realm. */
  async #authorize(
    ref: string,
    challenge: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const cred = await this.#credentials(ref);
    const scheme = challenge.split(' ')[0]?.toLowerCase();
    if (cred?.registrytoken) return `Bearer ${cred.registrytoken}`;
    const basic =
      cred?.username && cred.password
        ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`
        : undefined;
    if (scheme === 'basic') return basic;
    if (scheme !== 'bearer') return undefined;
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    ) as Record<string, string>;
    if (!params.realm) return undefined;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set(
      'scope',
      params.scope ?? `repository:${parseReference(ref).repository}:pull`,
    );
    const res = await this.#fetch(url.toString(), basic ? { authorization: basic } : {}, signal);
    if (!res.ok) return undefined;
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }
}

interface Manifest {
  manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }>;
  config?: { digest: string };
  layers?: Array<{ digest: string }>;
}
interface ConfigBlob {
  os?: string;
  architecture?: string;
  created?: string;
  config?: { Labels?: Record<string, string> | null };
  rootfs?: { diff_ids?: string[] };
  history?: Array<{ created_by?: string }>;
}

function notFound(ref: string, why: string): BuildAppError {
  return new BuildAppError(
    'ERR_REGISTRY_IMAGE_NOT_FOUND',
    `image ${ref} is not in its registry: ${why}`,
  );
}
