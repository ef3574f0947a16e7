/**
 * Containers: create, start, wait, logs, attach, archives and the race-free run.
 * Part of the agreed public surface (gathered in ../api.ts).
 */
import type { Readable } from 'node:stream';
import type { CallOptions } from './connection.js';
import type { TarStream } from './images.js';

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

/** A process to start in a running container (POST /containers/{id}/exec). */
export interface ExecSpec {
  Cmd: string[];
  /** Default: the container's user. */
  User?: string;
  /** Added to the container's environment. */
  Env?: string[];
  /** Default: the container's working directory. */
  WorkingDir?: string;
}

export interface ExecOptions extends CallOptions {
  /** Called for each chunk of the process's output. */
  onOutput?: (chunk: OutputChunk) => void;
}

export interface ExecResult {
  execId: string;
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
  /**
   * Runs a process in a running container to its end: its output streamed to `onOutput`, its
   * exit code returned. An abort stops the waiting, not the process (the Engine API cannot end
   * an exec'd process): it ends with its container.
   */
  exec(id: string, spec: ExecSpec, opts?: ExecOptions): Promise<ExecResult>;
}
