/**
 * One build's worth of lifecycle state in the daemon: the layers, workspace and platform volumes,
 * a helper container (created, never started) through which files travel with the archive API,
 * and the phase containers. Nothing is bind-mounted from the client's filesystem, so the same code
 * works against a remote daemon. `dispose()` removes everything it created except the caches.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import {
  type ContainerCreateSpec,
  type EngineClientApi,
  type MountSpec,
  NotFoundError,
  type TarStream,
} from '@imgext/engine-client';
import { apiAtLeast } from '@imgext/metadata';
import { type Pack, pack as tarPack } from 'tar-stream';
import { type AppFilter, appArchive, scanApp } from './app-archive.js';
import { LifecycleError } from './errors.js';
import type { LifecycleEvent, LifecycleEventListener } from './events.js';
import { LineSplitter } from './line-splitter.js';
import { PATHS, PHASES, type PhaseName } from './phase.js';
import { extractTo, type MemoryFile, type Owner, packFiles, readTarFiles } from './tar.js';

export const SESSION_LABEL = 'io.imgext.session';
export const CACHE_LABEL = 'io.imgext.cache';
const TAIL_LINES = 30;

export interface LifecycleSessionOptions {
  client: EngineClientApi;
  /** The builder image (name or ID): detector and builder run in it (or in an extended build image). */
  builderImage: string;
  /** The image of the daemon-access phases (analyzer, restorer, exporter). Default: the builder. */
  lifecycleImage?: string;
  /** The negotiated platform API. */
  platformApi: string;
  /** The CNB user of the builder (CNB_USER_ID/CNB_GROUP_ID). */
  owner: Owner;
  /** The daemon's own socket path on its host (see daemonSocketFor). */
  daemonSocket: string;
  /** Network of every phase container: 'none' (default) or 'host'. */
  network?: string;
  /** The builder has extensions: below platform API 0.13 the guarding phases get CNB_EXPERIMENTAL_MODE=warn. */
  extensions?: boolean;
  /** Volumes kept across builds (created when missing, never removed by dispose). */
  cacheVolume?: string;
  launchCacheVolume?: string;
  /** Labels added to every container and volume the session creates. */
  labels?: Record<string, string>;
  onEvent?: LifecycleEventListener;
}

export interface RunPhaseOptions {
  /** Run in this image instead of the builder (the extended build image for `builder`). */
  image?: string;
  /** Extra environment for this phase (e.g. CNB_REGISTRY_AUTH for a publishing exporter). */
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export interface PutAppOptions {
  /** What of the app travels (see AppFilter); default everything. */
  filter?: AppFilter;
}

/** What putApp sent. */
export interface AppUpload {
  files: number;
  bytes: number;
  /** Paths the filter left out (a folder counts once). */
  excluded: number;
  durationMs: number;
}

export class LifecycleSession {
  readonly id: string;
  readonly volumes: { layers: string; workspace: string; platform: string };
  readonly #opts: LifecycleSessionOptions;
  readonly #client: EngineClientApi;
  #helper: string | undefined;
  readonly #containers = new Set<string>();
  readonly #createdVolumes = new Set<string>();
  #disposed = false;

  private constructor(opts: LifecycleSessionOptions) {
    this.#opts = opts;
    this.#client = opts.client;
    this.id = randomBytes(6).toString('hex');
    const v = (role: string) => `imgext-${this.id}-${role}`;
    this.volumes = { layers: v('layers'), workspace: v('workspace'), platform: v('platform') };
  }

  /** Creates the volumes and the helper container. On failure, removes what it created and rethrows. */
  static async create(
    opts: LifecycleSessionOptions,
    signal?: AbortSignal,
  ): Promise<LifecycleSession> {
    const session = new LifecycleSession(opts);
    try {
      await session.#setUp(signal);
    } catch (err) {
      await session.dispose();
      throw err;
    }
    return session;
  }

  get helperContainer(): string {
    if (!this.#helper)
      throw new LifecycleError('ERR_SESSION_STATE', 'the session has no helper container');
    return this.#helper;
  }

  async #setUp(signal?: AbortSignal): Promise<void> {
    const labels = this.#labels();
    for (const name of Object.values(this.volumes)) {
      await this.#client.volumes.create({ name, labels, signal });
      this.#createdVolumes.add(name);
      this.#emit({ type: 'resource', action: 'created', kind: 'volume', name });
    }
    for (const name of [this.#opts.cacheVolume, this.#opts.launchCacheVolume]) {
      if (name)
        await this.#client.volumes.create({ name, labels: { [CACHE_LABEL]: 'true' }, signal });
    }
    const name = `imgext-${this.id}-files`;
    const { Id } = await this.#client.containers.create(
      {
        Image: this.#opts.builderImage,
        Entrypoint: [],
        Cmd: ['/cnb/lifecycle/lifecycle'],
        Labels: labels,
        HostConfig: { Mounts: this.#sessionMounts(), NetworkMode: 'none' },
      },
      { name, signal },
    );
    this.#helper = Id;
    this.#containers.add(Id);
    this.#emit({ type: 'resource', action: 'created', kind: 'container', name });
  }

  // Archives go to the mount point itself (entries relative to it): podman extracts into a
  // volume only when the target path is inside the mount, not when it is an ancestor like '/'.

  /**
   * Copies the app folder into /workspace, owned by the CNB user (the folder itself too), modes
   * kept exactly; `filter` leaves paths out (project.toml's include/exclude). Emits
   * `upload-start`, `upload-progress` (at most every 500 ms) and `upload-end`.
   */
  async putApp(dir: string, signal?: AbortSignal, opts: PutAppOptions = {}): Promise<AppUpload> {
    const started = performance.now();
    const tree = await scanApp(dir, opts.filter);
    const scanMs = Math.round(performance.now() - started);
    this.#emit({
      type: 'upload-start',
      target: 'app',
      totalFiles: tree.files,
      totalBytes: tree.bytes,
      excluded: tree.excluded,
      scanMs,
    });
    const archive = appArchive(tree, {
      owner: this.#opts.owner,
      prefix: '.',
      onProgress: (p) => this.#emit({ type: 'upload-progress', target: 'app', ...p }),
    });
    await this.putArchive(PATHS.workspace, archive, signal);
    const result: AppUpload = {
      files: tree.files,
      bytes: tree.bytes,
      excluded: tree.excluded,
      durationMs: Math.round(performance.now() - started),
    };
    this.#emit({ type: 'upload-end', target: 'app', ...result });
    return result;
  }

  /** Writes the platform environment (/platform/env/<NAME>), as pack's --env does. */
  async putPlatformEnv(env: Record<string, string>, signal?: AbortSignal): Promise<void> {
    const files: MemoryFile[] = Object.entries(env).map(([k, v]) => ({
      path: `env/${k}`,
      content: v,
    }));
    if (files.length === 0) files.push({ path: 'env/.keep', content: '' });
    await this.putArchive(PATHS.platform, packFiles(files, this.#opts.owner), signal);
  }

  /** Writes one file (e.g. /layers/analyzed.toml), owned by the CNB user. */
  async putFile(path: string, content: string | Buffer, signal?: AbortSignal): Promise<void> {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash) || '/';
    await this.putArchive(
      dir,
      packFiles([{ path: path.slice(slash + 1), content }], this.#opts.owner),
      signal,
    );
  }

  /** Extracts a tar stream at `path` through the helper container (volumes included). */
  async putArchive(path: string, tar: TarStream, signal?: AbortSignal): Promise<void> {
    await this.#client.containers.putArchive(this.helperContainer, path, tar, { signal });
  }

  /**
   * Starts an upload into `path` and hands back the tar pack to write entries to (e.g. the
   * extender's layout sink): the caller finalizes it (or destroys it) and awaits `done`.
   */
  openUpload(path: string, signal?: AbortSignal): { pack: Pack; done: Promise<void> } {
    const pack = tarPack();
    const done = this.putArchive(path, pack as unknown as AsyncIterable<Uint8Array>, signal);
    done.catch(() => pack.destroy());
    return { pack, done };
  }

  /** A tar stream of `path` (its last element is the archive's top entry). */
  async getArchive(path: string, signal?: AbortSignal): Promise<Readable> {
    return this.#client.containers.getArchive(this.helperContainer, path, { signal });
  }

  /** A file's text, or undefined when it does not exist. */
  async readFile(path: string, signal?: AbortSignal): Promise<string | undefined> {
    let stream: Readable;
    try {
      stream = await this.getArchive(path, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const files = await readTarFiles(stream);
    const content = files.get(path.slice(path.lastIndexOf('/') + 1));
    return content?.toString('utf8');
  }

  /**
   * Copies `path` (a folder) into `localDir`, which then holds `<basename of path>/...`.
   * Resolves false when `path` does not exist.
   */
  async copyOut(path: string, localDir: string, signal?: AbortSignal): Promise<boolean> {
    let stream: Readable;
    try {
      stream = await this.getArchive(path, signal);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    await extractTo(stream, localDir);
    return true;
  }

  /** Runs one phase to completion, streaming its log as events; throws LifecycleError on a non-zero exit. */
  async runPhase(phase: PhaseName, args: string[], opts: RunPhaseOptions = {}): Promise<void> {
    const traits = PHASES[phase];
    const image =
      opts.image ??
      (traits.daemon
        ? (this.#opts.lifecycleImage ?? this.#opts.builderImage)
        : this.#opts.builderImage);
    const user = traits.daemon ? '0:0' : `${this.#opts.owner.uid}:${this.#opts.owner.gid}`;
    const env: Record<string, string> = { CNB_PLATFORM_API: this.#opts.platformApi, ...opts.env };
    if (
      traits.guardsExtensions &&
      this.#opts.extensions &&
      !apiAtLeast(this.#opts.platformApi, '0.13')
    ) {
      env.CNB_EXPERIMENTAL_MODE = 'warn';
    }
    const mounts: MountSpec[] = [...this.#sessionMounts()];
    if (traits.daemon) {
      if (this.#opts.cacheVolume)
        mounts.push({ Type: 'volume', Source: this.#opts.cacheVolume, Target: PATHS.cache });
      if (this.#opts.launchCacheVolume) {
        mounts.push({
          Type: 'volume',
          Source: this.#opts.launchCacheVolume,
          Target: PATHS.launchCache,
        });
      }
      mounts.push({ Type: 'bind', Source: this.#opts.daemonSocket, Target: PATHS.socket });
    }
    const spec: ContainerCreateSpec = {
      Image: image,
      Entrypoint: [],
      Cmd: [`/cnb/lifecycle/${phase}`, ...args],
      User: user,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: this.#labels(),
      HostConfig: { Mounts: mounts, NetworkMode: this.#opts.network ?? 'none' },
    };
    const name = `imgext-${this.id}-${phase}`;
    this.#emit({ type: 'phase-start', phase, image, user, args });
    const tail: string[] = [];
    const lines = new LineSplitter((stream, line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      this.#emit({ type: 'phase-log', phase, stream, line });
    });
    const started = performance.now();
    this.#containers.add(name);
    let exitCode: number;
    try {
      ({ exitCode } = await this.#client.containers.run(spec, {
        name,
        remove: true,
        signal: opts.signal,
        onOutput: (chunk) => lines.push(chunk.stream, chunk.data),
      }));
    } catch (err) {
      lines.flush();
      if (opts.signal?.aborted) {
        throw new LifecycleError('ERR_PHASE_ABORTED', `${phase} was interrupted`, {
          phase,
          cause: err,
        });
      }
      throw err;
    }
    this.#containers.delete(name);
    lines.flush();
    this.#emit({
      type: 'phase-end',
      phase,
      exitCode,
      durationMs: Math.round(performance.now() - started),
    });
    if (exitCode !== 0) throw phaseFailure(phase, exitCode, tail);
  }

  /** Removes the session's containers and volumes (not the caches). Never throws; idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const leftovers = await this.#client.containers
      .list({ all: true, filters: { label: [`${SESSION_LABEL}=${this.id}`] } })
      .catch(() => []);
    const containers = new Set([...this.#containers, ...leftovers.map((c) => c.Id)]);
    for (const id of containers) {
      await this.#client.containers.remove(id, { force: true, volumes: true }).then(
        () => this.#emit({ type: 'resource', action: 'removed', kind: 'container', name: id }),
        (err: unknown) => this.#cleanupFailed('container', id, err),
      );
    }
    for (const name of this.#createdVolumes) {
      await this.#client.volumes.remove(name, { force: true }).then(
        () => this.#emit({ type: 'resource', action: 'removed', kind: 'volume', name }),
        (err: unknown) => this.#cleanupFailed('volume', name, err),
      );
    }
  }

  #cleanupFailed(kind: 'container' | 'volume', name: string, err: unknown): void {
    if (isNotFound(err)) return;
    this.#emit({
      type: 'cleanup-failed',
      kind,
      name,
      message: err instanceof Error ? err.message : String(err),
    });
  }

  #sessionMounts(): MountSpec[] {
    return [
      { Type: 'volume', Source: this.volumes.layers, Target: PATHS.layers },
      { Type: 'volume', Source: this.volumes.workspace, Target: PATHS.workspace },
      { Type: 'volume', Source: this.volumes.platform, Target: PATHS.platform },
    ];
  }

  #labels(): Record<string, string> {
    return { ...this.#opts.labels, [SESSION_LABEL]: this.id };
  }

  #emit(event: LifecycleEvent): void {
    this.#opts.onEvent?.(event);
  }
}

function phaseFailure(phase: PhaseName, exitCode: number, logTail: string[]): LifecycleError {
  // The lifecycle's own error line (colour codes stripped) says what went wrong.
  const errorLine = logTail
    .map((l) => stripVTControlCharacters(l))
    .findLast((l) => l.startsWith('ERROR:'));
  const reason = errorLine ? `: ${errorLine.slice('ERROR:'.length).trim()}` : '';
  if (phase === 'detector' && (exitCode === 20 || exitCode === 21)) {
    return new LifecycleError(
      'ERR_DETECT_FAILED',
      `no buildpack group passed detection (detector exit code ${exitCode})`,
      {
        phase,
        phaseExitCode: exitCode,
        logTail,
        hint: "check that the app matches one of the builder's buildpacks",
      },
    );
  }
  return new LifecycleError(
    'ERR_PHASE_FAILED',
    `${phase} failed with exit code ${exitCode}${reason}`,
    {
      phase,
      phaseExitCode: exitCode,
      logTail,
    },
  );
}

function isNotFound(err: unknown): boolean {
  return err instanceof NotFoundError;
}
