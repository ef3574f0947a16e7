/**
 * The extender's one seam between "apply this Dockerfile on that image" and the daemon builder
 * that does it. A backend per builder: the classic builder (`classic-builder.ts`, with its
 * step-image bookkeeping) and BuildKit over a session (`buildkit-builder.ts`).
 */
import type { BuilderKind, EngineClientApi, ImageInspect } from '@imgext/engine-client';
import type { DockerfileKind, GeneratedDockerfile } from '@imgext/metadata';
import type { ExtenderEventListener } from '../events.js';

export type { BuilderKind };

/** One Dockerfile of a chain, as the chain hands it to a backend. */
export interface DockerfileBuild {
  engine: EngineClientApi;
  kind: DockerfileKind;
  dockerfile: GeneratedDockerfile;
  /** The Dockerfile text to send (with `ARG base_image` prepended where it was missing). */
  text: string;
  /** Whether `text` starts with a prepended `ARG base_image` line (for Dockerfile line numbers). */
  injectedBaseArg: boolean;
  /** The context directory, when the Dockerfile reads its context. */
  dir?: string;
  /** The image the Dockerfile extends: an image ID. */
  baseImageId: string;
  /** Position in the chain (for names of temporary tags). */
  index: number;
  /** Build args other than `base_image`, which the backend sets. */
  buildArgs: Record<string, string>;
  tags: string[];
  labels?: Record<string, string>;
  networkMode: string;
  /** The registries its FROM images come from, when known (see BuildOptions.registries). */
  registries?: string[];
  /** false: leave nothing of the build behind but its result (classic: the step images). */
  keepCache: boolean;
  /** The chain's hold repository, if any: temporary base tags go under it. */
  hold?: string;
  emit: ExtenderEventListener;
  signal?: AbortSignal;
}

export interface DockerfileBuildResult {
  imageId: string;
  cacheHits: number;
  steps: number;
  /** The result's inspect, when the backend read it (beside its own clean-up): the chain's next base. */
  image?: ImageInspect;
}

export interface DockerfileBuilder {
  readonly kind: BuilderKind;
  build(b: DockerfileBuild): Promise<DockerfileBuildResult>;
}
