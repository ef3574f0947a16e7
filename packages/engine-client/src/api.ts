/**
 * The public surface of @imgext/engine-client, agreed before the implementation so that the
 * extender and lifecycle packages can be written against it. Shapes that mirror the Engine API's
 * JSON keep its PascalCase keys (a subset, typed by us); everything else is camelCase.
 * No type here comes from undici or any transport.
 */
import type { Readable } from 'node:stream';

// ---------------------------------------------------------------- connection

export interface TlsOptions {
  /** PEM contents (not paths). */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Verify the daemon's certificate against `ca` (DOCKER_TLS_VERIFY). Default true when TLS is on. */
  verify?: boolean;
}

export interface EngineClientOptions {
  /** unix:///path, tcp://host:port, ssh://[user@]host[:port], npipe is not supported. Overrides the environment. */
  host?: string;
  tls?: TlsOptions;
  /** Pin the API version (as DOCKER_API_VERSION does): no negotiation. */
  apiVersion?: string;
  /** Docker context name (as DOCKER_CONTEXT). */
  context?: string;
  /** Folder holding config.json and contexts/ (as DOCKER_CONFIG). Default ~/.docker. */
  configDir?: string;
  /** The environment to read DOCKER_* from. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Max concurrent connections to the daemon. Default 16. */
  connections?: number;
  /** For ssh:// hosts: the ssh program and extra arguments (e.g. ['-i', key, '-o', 'BatchMode=yes']). */
  ssh?: SshOptions;
  /** Connect and response-header timeouts; a stream, once its headers arrived, is never timed. */
  timeouts?: TimeoutOptions;
}

export interface TimeoutOptions {
  /** Milliseconds to open a connection (unix and tcp). Default 10 000; 0 waits forever. */
  connect?: number;
  /**
   * Milliseconds from sending a request (one without a body) to its response headers. Default
   * 60 000; 0 waits forever. Requests whose answer is a long stream or that upload a body (wait,
   * logs, events, build, pull, push, load, import, save, archive upload) are not timed.
   */
  headers?: number;
}

export interface SshOptions {
  /** The ssh program. Default 'ssh' (from PATH). */
  command?: string;
  /** Extra arguments placed before the destination. */
  args?: string[];
}

export interface ResolvedEndpoint {
  /** 'unix' | 'tcp' | 'ssh' */
  transport: 'unix' | 'tcp' | 'ssh';
  /** The host string as given or resolved (never with credentials). */
  host: string;
  tls: boolean;
  /** Where the endpoint came from: option, DOCKER_HOST, DOCKER_CONTEXT, config currentContext, default. */
  source: 'option' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'config' | 'default';
}

/** Every call takes these. */
export interface CallOptions {
  signal?: AbortSignal;
}

// ---------------------------------------------------------------- system

export interface PingResult {
  apiVersion: string;
  osType?: string;
  experimental?: boolean;
  builderVersion?: string;
}

export interface VersionInfo {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Components?: Array<{ Name: string; Version: string }>;
}

export interface SystemInfo {
  ID?: string;
  Name?: string;
  Driver: string;
  DriverStatus?: Array<[string, string]>;
  DockerRootDir?: string;
  OSType?: string;
  Architecture?: string;
  ServerVersion?: string;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- images

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

export interface BuildOptions extends CallOptions {
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
  | { type: 'warning'; message: string };

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
  build(context: TarStream, opts?: BuildOptions): Promise<BuildResult>;
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

// ---------------------------------------------------------------- containers

export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
}

export interface HostConfig {
  Binds?: string[];
  Mounts?: MountSpec[];
  NetworkMode?: string;
  AutoRemove?: boolean;
  Privileged?: boolean;
  SecurityOpt?: string[];
  UsernsMode?: string;
  [key: string]: unknown;
}

export interface ContainerCreateSpec {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[] | null;
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  HostConfig?: HostConfig;
  [key: string]: unknown;
}

export interface CreateContainerOptions extends CallOptions {
  name?: string;
  platform?: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  Created: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    Error?: string;
    OOMKilled?: boolean;
    Pid?: number;
  };
  Config: ContainerCreateSpec;
  HostConfig: HostConfig;
  Mounts?: Array<{ Type: string; Name?: string; Source: string; Destination: string }>;
  [key: string]: unknown;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Labels: Record<string, string> | null;
}

/** One demultiplexed chunk of container output. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface LogsOptions extends CallOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  timestamps?: boolean;
  since?: number;
  tail?: number | 'all';
}

export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface AttachOptions extends CallOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  stream?: boolean;
  logs?: boolean;
}

export interface AttachSession {
  /** Demultiplexed output (or raw as stdout for a Tty container). Ends when the container's streams end. */
  output: AsyncIterable<OutputChunk>;
  /** Write stdin, when attached with stdin. */
  stdin?: NodeJS.WritableStream;
  close(): void;
}

export interface PutArchiveOptions extends CallOptions {
  /** Let the daemon copy UID/GID from the tar headers to match the container's user (docker cp -a). */
  copyUIDGID?: boolean;
  noOverwriteDirNonDir?: boolean;
}

export interface RunOptions extends CallOptions {
  name?: string;
  /** Called for each chunk of output while the container runs. */
  onOutput?: (chunk: OutputChunk) => void;
  /** Remove the container after it exits (default true), also on failure and abort. */
  remove?: boolean;
  /** Optional tar to put into the container (at `path`) before it starts. */
  beforeStart?: (containerId: string) => Promise<void>;
  /** Called when clean-up failed: what could not be killed or removed, and why. */
  onWarning?: (warning: RunWarning) => void;
}

/** A clean-up step of `run` that failed; the container may be left behind. */
export interface RunWarning {
  type: 'cleanup-failed';
  action: 'kill' | 'remove';
  containerId: string;
  /** The error's message (typed errors keep their `code` in `code`). */
  message: string;
  code: string | undefined;
}

export interface RunResult {
  containerId: string;
  exitCode: number;
}

export interface ContainersApi {
  create(
    spec: ContainerCreateSpec,
    opts?: CreateContainerOptions,
  ): Promise<{ Id: string; Warnings: string[] }>;
  start(id: string, opts?: CallOptions): Promise<void>;
  /** Resolves when the condition is met. `condition` default 'not-running'. */
  wait(
    id: string,
    opts?: CallOptions & { condition?: 'not-running' | 'next-exit' | 'removed' },
  ): Promise<WaitResult>;
  logs(id: string, opts?: LogsOptions): AsyncIterable<OutputChunk>;
  attach(id: string, opts?: AttachOptions): Promise<AttachSession>;
  inspect(id: string, opts?: CallOptions): Promise<ContainerInspect>;
  list(
    opts?: CallOptions & { all?: boolean; filters?: Record<string, string[]> },
  ): Promise<ContainerSummary[]>;
  /** `killSignal` is the signal to send (default SIGKILL); `signal` stays the AbortSignal. */
  kill(id: string, opts?: CallOptions & { killSignal?: string }): Promise<void>;
  remove(id: string, opts?: CallOptions & { force?: boolean; volumes?: boolean }): Promise<void>;
  /** A tar stream of `path` in the container. */
  getArchive(id: string, path: string, opts?: CallOptions): Promise<Readable>;
  /** Extracts a tar stream into `path` (a directory that exists) in the container. */
  putArchive(id: string, path: string, tar: TarStream, opts?: PutArchiveOptions): Promise<void>;
  /** create -> attach -> wait (headers received) -> start -> exit code -> remove; free of the wait race. */
  run(spec: ContainerCreateSpec, opts?: RunOptions): Promise<RunResult>;
}

// ---------------------------------------------------------------- volumes

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  CreatedAt?: string;
}

export interface VolumesApi {
  create(
    opts?: CallOptions & { name?: string; labels?: Record<string, string>; driver?: string },
  ): Promise<Volume>;
  inspect(name: string, opts?: CallOptions): Promise<Volume>;
  list(opts?: CallOptions & { filters?: Record<string, string[]> }): Promise<Volume[]>;
  remove(name: string, opts?: CallOptions & { force?: boolean }): Promise<void>;
}

// ---------------------------------------------------------------- events

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano?: number;
}

// ---------------------------------------------------------------- the client

export interface EngineClientApi {
  readonly endpoint: ResolvedEndpoint;
  /** The negotiated (or pinned) API version; negotiates on first use. */
  apiVersion(opts?: CallOptions): Promise<string>;
  ping(opts?: CallOptions): Promise<PingResult>;
  version(opts?: CallOptions): Promise<VersionInfo>;
  info(opts?: CallOptions): Promise<SystemInfo>;
  readonly images: ImagesApi;
  readonly containers: ContainersApi;
  readonly volumes: VolumesApi;
  events(
    opts?: CallOptions & { filters?: Record<string, string[]>; since?: string; until?: string },
  ): AsyncIterable<EngineEvent>;
  /** Registry credentials for a reference's registry from the docker config (helpers included). */
  authFor(ref: string): Promise<RegistryAuth | undefined>;
  close(): Promise<void>;
}
