/** Registry credentials for the lifecycle (CNB_REGISTRY_AUTH), from the client's docker config. */
import {
  type EngineClientApi,
  parseImageReference,
  type RegistryAuth,
} from '@imgext/engine-client';

/**
 * The key the lifecycle looks a registry up by: the registry as its image library names it, so
 * Docker Hub is `index.docker.io` (not the docker config's `https://index.docker.io/v1/`).
 */
export function lifecycleRegistryKey(ref: string): string {
  const { domain } = parseImageReference(ref);
  return domain === 'docker.io' ? 'index.docker.io' : domain;
}

/** The header value the lifecycle's keychain reads, or undefined for an entry without secrets. */
function headerFor(cred: RegistryAuth): string | undefined {
  if (cred.registrytoken) return `Bearer ${cred.registrytoken}`;
  if (cred.identitytoken) return `X-Identity ${cred.identitytoken}`;
  if (cred.username && cred.password) {
    return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
  }
  return undefined;
}

/** What of a build's options names images in registries (a subset of BuildOptions). */
export interface PublishRefs {
  image: string;
  tags?: string[];
  cacheImage?: string;
  previousImage?: string;
}

/**
 * The references a publishing build needs registry credentials for, as pack: the image and its
 * tags, the run image (the analyzer and exporter read it from its registry; `runImage` is the one
 * the build uses, given or the builder's), the cache image, the previous image; and, once detect
 * is done, the run image an extension switched to (`switchedTo`: pack sends none for it).
 */
export function publishAuthRefs(
  o: PublishRefs,
  runImage: string | undefined,
  switchedTo?: string,
): string[] {
  return [o.image, ...(o.tags ?? []), runImage, switchedTo, o.cacheImage, o.previousImage].filter(
    (r): r is string => typeof r === 'string' && r !== '',
  );
}

/**
 * `{ CNB_REGISTRY_AUTH: '{"host":"Basic ..."}' }` for every registry the refs name (as pack: the
 * image, the run image, the cache image), or `{}` when none has credentials.
 */
export async function registryAuthEnv(
  client: Pick<EngineClientApi, 'authFor'>,
  refs: Array<string | undefined>,
): Promise<Record<string, string>> {
  const auth: Record<string, string> = {};
  for (const ref of refs) {
    if (!ref) continue;
    const key = lifecycleRegistryKey(ref);
    if (key in auth) continue;
    const cred = await client.authFor(ref);
    const header = cred && headerFor(cred);
    if (header) auth[key] = header;
  }
  return Object.keys(auth).length ? { CNB_REGISTRY_AUTH: JSON.stringify(auth) } : {};
}
