/**
 * Image references in their normalised, fully qualified form, as Docker and pack compare them:
 * `app` and `app:latest` are both `docker.io/library/app:latest`; `127.0.0.1:5000/x` keeps its
 * registry. Used to match a builder against the `trusted-builders` list.
 */

const DEFAULT_REGISTRY = 'docker.io';

/** The registry host of a reference ('docker.io' when the first part is not a host). */
export function referenceRegistry(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash < 0) return DEFAULT_REGISTRY;
  const first = ref.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') {
    return first === 'index.docker.io' ? DEFAULT_REGISTRY : first;
  }
  return DEFAULT_REGISTRY;
}

/** The reference with registry, `library/` for official images, and `:latest` when untagged. */
export function normalizeReference(ref: string): string {
  const registry = referenceRegistry(ref);
  const slash = ref.indexOf('/');
  const first = slash >= 0 ? ref.slice(0, slash) : '';
  let rest = first === registry || first === 'index.docker.io' ? ref.slice(slash + 1) : ref;
  if (registry === DEFAULT_REGISTRY && !rest.includes('/')) rest = `library/${rest}`;
  const at = rest.indexOf('@');
  const namePart = at >= 0 ? rest.slice(0, at) : rest;
  const hasTag = namePart.lastIndexOf(':') > namePart.lastIndexOf('/');
  if (at < 0 && !hasTag) rest = `${rest}:latest`;
  return `${registry}/${rest}`;
}

/** Repository (with registry, normalised) and tag or digest of a reference. */
export function parseReference(ref: string): {
  registry: string;
  repository: string;
  /** The tag or the digest (`sha256:...`). */
  reference: string;
} {
  const full = normalizeReference(ref);
  const registry = referenceRegistry(full);
  const path = full.slice(registry.length + 1);
  const at = path.indexOf('@');
  if (at >= 0) return { registry, repository: path.slice(0, at), reference: path.slice(at + 1) };
  const colon = path.lastIndexOf(':');
  return { registry, repository: path.slice(0, colon), reference: path.slice(colon + 1) };
}
