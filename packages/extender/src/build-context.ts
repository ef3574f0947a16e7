/**
 * The context of one extension Dockerfile for the classic builder, as a tar stream: the
 * Dockerfile under a name of ours beside the context dir (engine-client's `directoryTar`:
 * `.dockerignore` applied on the client, the Dockerfile kept out of `COPY`).
 */
import { directoryTar } from '@imgext/engine-client';

/** Name of the Dockerfile inside the contexts imgext sends; the daemon removes it via .dockerignore. */
export const CONTEXT_DOCKERFILE = '.imgext.Dockerfile';

export interface BuildContextSpec {
  dockerfile: string;
  /** The directory to send, or undefined to send only the Dockerfile. */
  dir?: string;
  signal?: AbortSignal;
}

/** A build context as a tar stream, produced while the daemon reads it (never buffered whole). */
export function buildContext(spec: BuildContextSpec): AsyncIterable<Uint8Array> {
  return directoryTar(
    { ...(spec.dir ? { dir: spec.dir } : {}), files: { [CONTEXT_DOCKERFILE]: spec.dockerfile } },
    spec.signal ? { signal: spec.signal } : {},
  );
}
