/**
 * Images: inspect, list, history, build, pull, push, load, save, import.
 * Part of the agreed public surface (gathered in ../api.ts).
 */
import type { Readable } from 'node:stream';
import type { CallOptions } from './connection.js';

export interface ImageConfig {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
}

export interface ImageInspect {
  /** With the containerd image store this is the manifest (or index) digest, not the config digest. */
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created?: string;
  Architecture: string;
  Os: string;
  Variant?: string;
  Size?: number;
  Config: ImageConfig | null;
  RootFS: { Type: string; Layers?: string[] };
  /** The image this one was built on by the classic builder ('' or absent otherwise). */
  Parent?: string;
  Metadata?: { LastTagTime?: string };
  /** The storage driver ('overlay2' classic store, 'overlayfs' containerd, 'overlay' podman). */
  GraphDriver?: { Name: string };
}

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  Labels: Record<string, string> | null;
}

export interface ImageHistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** A build context: a tar stream. Never buffered whole by the client. */
export type TarStream = Readable | AsyncIterable<Uint8Array>;

/**
 * A build context read from the local file system. BuildKit (`builder: 'buildkit'`) serves it
 * over the session's FileSync, file by file as the daemon asks; the classic builder gets it as a
 * tar. `.dockerignore` in `dir` applies on both builders.
 */
export interface DirectoryContext {
  /** The directory to send; absent: the context is only `files`. */
  dir?: string;
  /**
   * The Dockerfile (and files only the frontend reads, such as `<Dockerfile>.dockerignore`),
   * by plain name: beside the context, never part of what `COPY` sees. The classic builder gets
   * them in the tar's root, listed in the `.dockerignore` it is sent, which the daemon applies to
   * `COPY` (and to which `dir`'s own `.dockerignore` patterns are added). On both builders the
   * context's `.dockerignore` is applied, and is itself never part of what `COPY` sees.
   */
  files?: Record<string, string | Uint8Array>;
}

/** Which of the daemon's builders runs a build. */
export type BuilderKind = 'classic' | 'buildkit';

export interface BuildOptions extends CallOptions {
  /**
   * 'classic' (default): `POST /build` with the context as a tar body. 'buildkit': a BuildKit
   * session over this client's own connection (`POST /session`), then `POST /build?version=2`;
   * the context must be a DirectoryContext.
   */
  builder?: BuilderKind;
  /** Path of the Dockerfile inside the context. Default 'Dockerfile'. */
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** 'none' | 'host' | 'default' ... */
  networkMode?: string;
  pull?: boolean;
  noCache?: boolean;
  target?: string;
  platform?: string;
  /** Remove intermediate containers (default true) and on failure too (default true). */
  rm?: boolean;
  forceRm?: boolean;
  /** Called for each progress event, in order. */
  onProgress?: (event: BuildProgressEvent) => void;
  /**
   * The image references whose registries the build pulls from (its FROM images), when known:
   * X-Registry-Config then carries only their credentials, and only their helpers run. `[]`
   * sends none. Default: every credential the docker config knows.
   */
  registries?: string[];
  /**
   * What the build must wait for before the daemon starts it (a tag its FROM names): BuildKit
   * opens its session and reads the context meanwhile. A rejection is the build's error; no
   * build is started then.
   */
  after?: Promise<unknown>;
}

export type BuildProgressEvent =
  | { type: 'step'; step: number; total: number; instruction: string; raw: string }
  | { type: 'output'; text: string }
  | { type: 'cache-hit' }
  /** A step committed a new image (short ID): see BuildResult.newImageIds. */
  | { type: 'committed'; id: string }
  | { type: 'aux'; id: string }
  | { type: 'status'; status: string; id?: string; progress?: string }
  /** Not from the engine: e.g. a credential helper that could not be run and was skipped. */
  | { type: 'warning'; message: string }
  /**
   * BuildKit: a vertex (a step such as `[2/3] RUN make`, or an internal one such as
   * `[internal] load build context`) changed state. `id` is its digest; times are epoch ms.
   */
  | {
      type: 'vertex';
      id: string;
      name: string;
      state: 'started' | 'cached' | 'done' | 'error';
      startedAt?: number;
      completedAt?: number;
      error?: string;
    }
  /** BuildKit: output of a vertex (stream 1 stdout, 2 stderr), as text. */
  | { type: 'vertex-log'; id: string; name: string; stream: number; text: string };

export interface BuildResult {
  /** The image ID the daemon reported (aux.ID), as the daemon gives it ('sha256:...'). */
  imageId: string;
  /** Every line of the stream's text output, in order. */
  transcript: string[];
  /** Number of steps served from the build cache ('---> Using cache'). */
  cacheHits: number;
  steps: number;
  /**
   * Short IDs of the images this build committed, one per step that was not a FROM or a cache
   * hit, in order (the classic builder's ' ---> <id>' lines; the last is the result). On the
   * containerd image store they remain as untagged images, kept as the build cache.
   */
  newImageIds: string[];
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

export type PullProgressEvent = {
  status: string;
  id?: string;
  progress?: string;
  current?: number;
  total?: number;
};

export interface PullOptions extends CallOptions {
  platform?: string;
  /**
   * podman only: `false` skips TLS verification for this registry (sent as `tlsVerify=false`;
   * podman 4.3 honours it on push, not on pull). Docker decides by its insecure-registries setting.
   */
  tlsVerify?: boolean;
  /** Explicit credentials; by default read from the docker config for the reference's registry. */
  auth?: RegistryAuth;
  onProgress?: (event: PullProgressEvent) => void;
}

export interface PushOptions extends CallOptions {
  auth?: RegistryAuth;
  /** podman only: `false` skips TLS verification for this registry (see PullOptions). */
  tlsVerify?: boolean;
  onProgress?: (event: PullProgressEvent) => void;
}

export interface PushResult {
  /** The pushed manifest digest ('sha256:...') when the daemon reports it. */
  digest?: string;
  tag?: string;
}

export interface RemoveImageResult {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagesApi {
  inspect(ref: string, opts?: CallOptions): Promise<ImageInspect>;
  /** Like inspect, but resolves undefined for a missing image. */
  find(ref: string, opts?: CallOptions): Promise<ImageInspect | undefined>;
  list(
    opts?: CallOptions & { all?: boolean; filters?: Record<string, string[]> },
  ): Promise<ImageSummary[]>;
  history(ref: string, opts?: CallOptions): Promise<ImageHistoryEntry[]>;
  build(context: TarStream | DirectoryContext, opts?: BuildOptions): Promise<BuildResult>;
  tag(ref: string, repo: string, tag?: string, opts?: CallOptions): Promise<void>;
  remove(
    ref: string,
    opts?: CallOptions & { force?: boolean; noPrune?: boolean },
  ): Promise<RemoveImageResult[]>;
  pull(ref: string, opts?: PullOptions): Promise<void>;
  push(ref: string, opts?: PushOptions): Promise<PushResult>;
  /** Loads a `docker save` tar; resolves the loaded image names/IDs. */
  load(
    tar: TarStream,
    opts?: CallOptions & { onProgress?: (line: string) => void },
  ): Promise<string[]>;
  /** `docker save` as a stream: consume it or destroy it. */
  save(refs: string[], opts?: CallOptions): Promise<Readable>;
  /** Import a root filesystem tarball as an image; resolves the new image ID. */
  import(
    tar: TarStream,
    opts?: CallOptions & { repo?: string; tag?: string; changes?: string[]; message?: string },
  ): Promise<string>;
}
