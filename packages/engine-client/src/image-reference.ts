/**
 * Image references as the docker CLI reads them (distribution's reference grammar): checked
 * before anything is asked of the daemon, and normalised so that `app`, `app:latest` and
 * `docker.io/library/app:latest` are recognised as one image.
 */

/** A reference that does not follow the grammar; `reason` says which part is wrong. */
export class InvalidReferenceError extends Error {
  readonly code = 'ENGINE_INVALID_REFERENCE';
  override name = 'InvalidReferenceError';
  readonly reference: string;
  readonly reason: string;

  constructor(reference: string, reason: string) {
    super(`"${reference}" is not a valid image reference: ${reason}`);
    this.reference = reference;
    this.reason = reason;
  }
}

export interface ImageReference {
  /** The registry host (and port), `docker.io` when the reference names none. */
  domain: string;
  /** The repository path on that registry, `library/` added for docker.io's official images. */
  path: string;
  tag?: string;
  digest?: string;
  /** domain/path[:tag][@digest], with `:latest` when there is neither tag nor digest. */
  normalized: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const MAX_NAME = 255;

/** Parses and normalises `ref`; throws InvalidReferenceError naming what is wrong. */
export function parseImageReference(ref: string): ImageReference {
  if (ref.length === 0) throw new InvalidReferenceError(ref, 'it is empty');
  if (/\s/.test(ref)) throw new InvalidReferenceError(ref, 'it contains white space');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw new InvalidReferenceError(ref, `"${digest}" is not a digest (algorithm:hex)`);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw new InvalidReferenceError(
        ref,
        `"${tag}" is not a valid tag (letters, digits, '_', '.', '-'; at most 128)`,
      );
    }
  }
  if (rest.length === 0) throw new InvalidReferenceError(ref, 'it names no repository');
  if (rest.length > MAX_NAME) {
    throw new InvalidReferenceError(ref, `the name is longer than ${MAX_NAME} characters`);
  }
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  const first = parts[0] ?? '';
  // As docker: a first part with '.' or ':' or 'localhost' (or capitals) is a registry host.
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first))
  ) {
    if (!DOMAIN.test(first)) {
      throw new InvalidReferenceError(ref, `"${first}" is not a valid registry host`);
    }
    domain = first;
    parts.shift();
  }
  for (const part of parts) {
    if (!COMPONENT.test(part)) {
      const why = /[A-Z]/.test(part)
        ? 'repository names must be lowercase'
        : "a repository name part has only lowercase letters, digits and single '.', '_', '__' or '-' between them";
      throw new InvalidReferenceError(ref, `"${part}": ${why}`);
    }
  }
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  const path = parts.join('/');
  const suffix = `${tag !== undefined ? `:${tag}` : digest ? '' : ':latest'}${digest ? `@${digest}` : ''}`;
  return {
    domain,
    path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest ? { digest } : {}),
    normalized: `${domain}/${path}${suffix}`,
  };
}

/** The normalised form of `ref` (see parseImageReference). */
export function normalizeReference(ref: string): string {
  return parseImageReference(ref).normalized;
}
