/**
 * One build's worth of lifecycle state in the daemon: the layers, workspace and platform volumes,
 * the containers the phases run in, and the archive API through which files travel. Nothing is
 * bind-mounted from the client's filesystem, so the same code works against a remote daemon.
 * `dispose()` removes everything it created except the caches.
 *
 * Phase hosts (the default): two long-lived containers, one per kind of phase, in which each
 * phase is exec'd (~30 ms) instead of getting a container of its own (create + start + exit
 * ~150-250 ms each): `buildpacks` (the builder image, the CNB user, the session's network, no
 * socket: detector, and builder unless it runs in an extended image) and `lifecycle` (the
 * lifecycle image, root, the daemon's socket and the caches: analyzer, restorer, exporter),
 * made at its first phase, once the caches exist. Each runs a tiny pause program (pause-program.ts)
 * as PID 1. A phase with its own image or mounts, or an image of another architecture, gets a
 * container of its own as before (`phaseHosts: false` for all of them).
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
import { type AppFilter, appArchive, oneAhead, scanApp } from './app-archive.js';
import { LifecycleError } from './errors.js';
import type { LifecycleEvent, LifecycleEventListener } from './events.js';
import { LineSplitter } from './line-splitter.js';
import { pauseProgram } from './pause-program.js';
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
  /**
   * One more session volume, at PATHS.modules in the helper and the phases without the daemon
   * (detector, builder): the build's local buildpacks and extensions (put there with putArchive).
   */
  modulesVolume?: boolean;
  /**
   * false: `create` leaves the cache volumes to the caller (buildApp creates them once it holds
   * the build lock, while the session is set up beside it); the phases still mount them.
   * Default true.
   */
  createCacheVolumes?: boolean;
  /** Labels added to every container and volume the session creates. */
  labels?: Record<string, string>;
  /** Exec the phases in two long-lived containers (see the file's comment). Default true. */
  phaseHosts?: boolean;
  onEvent?: LifecycleEventListener;
}

/**
 * The two shared hosts, and a phase's own (`phase:<name>`: a builder in an extended image or
 * with more mounts), made and started when the phase is prepared, removed after it.
 */
type HostKind = 'buildpacks' | 'lifecycle' | `phase:${string}`;

/** What a host is made of (the shared ones: from the session's options). */
interface HostSpec {
  image: string;
  daemon: boolean;
  mounts: MountSpec[];
}

/** A host being made, made or started. */
interface HostEntry {
  created: Promise<string>;
  started?: Promise<string>;
  /** Made ahead of its phase (anticipateHost): what it was made of, for the phase to compare. */
  anticipated?: string;
  /** Its container's name, when not the kind's own (see #hostName). */
  name?: string;
  /** Not needed after all: not made if its making has not begun. */
  abandon?: () => void;
}

const specKey = (spec: HostSpec) => JSON.stringify([spec.image, spec.daemon, spec.mounts]);
/** Where the pause program goes in a host container's own filesystem. */
const PAUSE_PATH = '/.imgext-pause';

export interface RunPhaseOptions {
  /** Run in this image instead of the builder (the extended build image for `builder`). */
  image?: string;
  /** Extra environment for this phase (e.g. CNB_REGISTRY_AUTH for a publishing exporter). */
  env?: Record<string, string>;
  /** More mounts for this phase (pack's `--volume`, for the builder). */
  mounts?: MountSpec[];
  /** Runs it again under another container name (`imgext-<session>-<phase>-<attempt>`). */
  attempt?: string;
  signal?: AbortSignal;
}

/** A phase whose container exists, not yet started (see preparePhase). */
export interface PreparedPhase {
  /**
   * Starts the container; resolves when the phase exited 0 (else rejects, as runPhase). `signal`
   * aborts it too (besides the one it was prepared with).
   */
  start(signal?: AbortSignal): Promise<void>;
  /** Removes the container unstarted. */
  cancel(): void;
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
  readonly volumes: { layers: string; workspace: string; platform: string; modules?: string };
  readonly #opts: LifecycleSessionOptions;
  readonly #client: EngineClientApi;
  #helper: string | undefined;
  /**
   * The phase hosts: created (archives can go in), started at their first phase. None when the
   * session runs without them.
   */
  readonly #hosts = new Map<HostKind, HostEntry>();
  #hostsEnabled = false;
  /** Hosts made ahead so far (see anticipateHost). */
  #madeAhead = 0;
  /** Per image: its pause program (see #pauseFor). */
  readonly #programs = new Map<string, Promise<Buffer | undefined>>();
  /** The buildpacks host's stop, once asked for (buildpackPhasesDone). */
  #stopping: Promise<void> | undefined;
  readonly #containers = new Set<string>();
  readonly #createdVolumes = new Set<string>();
  readonly #removals = new Set<Promise<void>>();
  /** Prepared phases not started yet: dispose() cancels them and waits until they settled. */
  readonly #waiting = new Map<Promise<void>, (reason: Error) => void>();
  #disposed = false;

  private constructor(opts: LifecycleSessionOptions) {
    this.#opts = opts;
    this.#client = opts.client;
    this.id = randomBytes(6).toString('hex');
    const v = (role: string) => `imgext-${this.id}-${role}`;
    this.volumes = {
      layers: v('layers'),
      workspace: v('workspace'),
      platform: v('platform'),
      ...(opts.modulesVolume ? { modules: v('modules') } : {}),
    };
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
    // In parallel: five round trips in sequence cost a visible share of a small build. All
    // settle before a failure is thrown, so dispose() sees every volume that was made. The
    // create requests are never cut off by `signal` (checked before each goes out): one given up
    // on the client may still be carried out by the engine, and its volume or container would
    // be left with no one knowing of it.
    signal?.throwIfAborted();
    const hostable =
      this.#opts.phaseHosts === false ? [] : [this.#canHost(this.#opts.builderImage)];
    if (hostable.length && this.#daemonImage() !== this.#opts.builderImage) {
      hostable.push(this.#canHost(this.#daemonImage()));
    }
    const made = await Promise.allSettled([
      ...hostable,
      ...Object.values(this.volumes).map(async (name: string) => {
        await this.#client.volumes.create({ name, labels });
        this.#createdVolumes.add(name);
        this.#emit({ type: 'resource', action: 'created', kind: 'volume', name });
      }),
      ...(this.#opts.createCacheVolumes === false
        ? []
        : [this.#opts.cacheVolume, this.#opts.launchCacheVolume]
      ).map(async (name) => {
        if (name) await createCacheVolume(this.#client, name);
      }),
    ]);
    const failed = made.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.#hostsEnabled =
      hostable.length > 0 &&
      made.slice(0, hostable.length).every((r) => r.status === 'fulfilled' && r.value === true);
    signal?.throwIfAborted();
    if (this.#hostsEnabled) {
      // The buildpacks host is the session's file container too (archives go through it). It is
      // started at once: archive calls wait for the start, which then overlaps the lock and the
      // lifecycle host's making instead of following the uploads.
      const created = this.#createHost('buildpacks', this.#hostSpec('buildpacks'));
      this.#hosts.set('buildpacks', { created });
      this.#helper = await created;
      void this.#host('buildpacks');
      return;
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
      { name },
    );
    this.#helper = Id;
    this.#containers.add(Id);
    this.#emit({ type: 'resource', action: 'created', kind: 'container', name });
  }

  /** Whether an image of this architecture can host phases (the pause program exists for it). */
  async #canHost(image: string): Promise<boolean> {
    return (await this.#pauseFor(image).catch(() => undefined)) !== undefined;
  }

  /** The pause program for an image (undefined: not a linux image of a known architecture); one inspect per image. */
  #pauseFor(image: string): Promise<Buffer | undefined> {
    let program = this.#programs.get(image);
    if (!program) {
      const asked = this.#client.images
        .inspect(image)
        .then((info) => (info.Os === 'linux' ? pauseProgram(info.Architecture) : undefined));
      program = asked;
      // A failed inspect is not kept: an image not there yet (a host made ahead of a build that
      // then makes the image) may be there when asked again.
      asked.catch(() => {
        if (this.#programs.get(image) === asked) this.#programs.delete(image);
      });
      this.#programs.set(image, program);
    }
    return program;
  }

  /**
   * Creates a phase host and puts the pause program in; resolves with its ID. Its create is never
   * cut off by a signal (see #setUp).
   */
  async #createHost(kind: HostKind, spec: HostSpec, name = this.#hostName(kind)): Promise<string> {
    const { image, daemon } = spec;
    const program = await this.#pauseFor(image);
    if (!program) {
      throw new LifecycleError('ERR_SESSION_STATE', `no pause program for ${image}'s platform`);
    }
    const { Id } = await this.#client.containers.create(
      {
        Image: image,
        Entrypoint: [PAUSE_PATH],
        Cmd: [],
        User: daemon ? '0:0' : `${this.#opts.owner.uid}:${this.#opts.owner.gid}`,
        Labels: this.#labels(),
        HostConfig: {
          Mounts: spec.mounts,
          // As the phases had them: see #run.
          NetworkMode: daemon ? 'host' : await this.#buildpackNetwork(kind),
        },
      },
      { name },
    );
    this.#containers.add(Id);
    this.#emit({ type: 'resource', action: 'created', kind: 'container', name });
    const pack = tarPack();
    pack.entry({ name: PAUSE_PATH.slice(1), mode: 0o755, uid: 0, gid: 0 }, program);
    pack.finalize();
    await this.#client.containers.putArchive(Id, '/', pack as unknown as AsyncIterable<Uint8Array>);
    return Id;
  }

  #hostName(kind: HostKind): string {
    return `imgext-${this.id}-${kind.replace('phase:', '')}`;
  }

  /**
   * The network of a host where buildpacks run: the session's. With none, a phase's own host (the
   * builder in an extended image) joins the buildpacks host's namespace, as isolated (loopback
   * only, the same build's buildpacks): making a network namespace costs a container start
   * ~0.05-0.1 s, once per build instead of once per host. Its own when the buildpacks host is
   * not running.
   */
  async #buildpackNetwork(kind: HostKind): Promise<string> {
    const network = this.#opts.network ?? 'none';
    if (network !== 'none' || kind === 'buildpacks') return network;
    const id = await this.#hosts.get('buildpacks')?.started?.catch(() => undefined);
    return id ? `container:${id}` : network;
  }

  /** The running host of a kind: made (the lifecycle one) and started at its first phase. */
  #host(kind: HostKind, signal?: AbortSignal, spec?: HostSpec): Promise<string> {
    if (this.#disposed) {
      return Promise.reject(new LifecycleError('ERR_SESSION_STATE', 'the session was disposed'));
    }
    let host = this.#hosts.get(kind);
    if (host?.anticipated !== undefined) {
      // Made ahead of its phase: the phase's when made of what it needs (else a host of its own,
      // also if the one made ahead fails), removed otherwise.
      const ahead = host;
      if (spec && ahead.anticipated === specKey(spec) && ahead.started) {
        const started = ahead.started.catch(() => {
          this.#hosts.delete(kind);
          return this.#host(kind, signal, spec);
        });
        started.catch(() => undefined);
        this.#hosts.set(kind, {
          created: ahead.created,
          started,
          ...(ahead.name ? { name: ahead.name } : {}),
        });
        return started;
      }
      void this.#dropAhead(kind, ahead);
      host = undefined;
    }
    if (!host) {
      signal?.throwIfAborted();
      host = { created: this.#createHost(kind, spec ?? this.#hostSpec(kind)) };
      host.created.catch(() => undefined);
      this.#hosts.set(kind, host);
    }
    if (!host.started) {
      host.started = host.created.then(async (id) => {
        await this.#client.containers.start(id);
        return id;
      });
      host.started.catch(() => undefined);
    }
    return host.started;
  }

  /**
   * Makes and starts, in the background, the host of a phase that will run in an image of its
   * own (the builder in an extended build image) before that image is sure, e.g. the one the
   * last build of the app extended to: begun once the hosts being started now are up, so as not
   * to slow them. The phase gets it if it asks for the same image and mounts; otherwise it is
   * removed then, or by dispose(). One that cannot be made is no error: the phase makes its own.
   */
  anticipateHost(phase: PhaseName, opts: { image: string; mounts?: MountSpec[] }): void {
    const kind: HostKind = `phase:${phase}`;
    if (!this.#hostsEnabled || this.#disposed || this.#hosts.has(kind)) return;
    const spec = this.#ownSpec(phase, opts.image, opts.mounts);
    const before = [...this.#hosts.values()].map((h) => h.started ?? h.created);
    // Its own name: the last one made ahead for the phase may still be being removed.
    const name = `${this.#hostName(kind)}-ahead-${++this.#madeAhead}`;
    let abandoned = false;
    const created = Promise.allSettled(before).then(() => {
      if (this.#disposed || abandoned) {
        throw new LifecycleError('ERR_SESSION_STATE', 'the host made ahead is not needed');
      }
      return this.#createHost(kind, spec, name);
    });
    const started = created.then(async (id) => {
      await this.#client.containers.start(id);
      return id;
    });
    created.catch(() => undefined);
    started.catch(() => undefined);
    this.#hosts.set(kind, {
      created,
      started,
      anticipated: specKey(spec),
      name,
      abandon: () => {
        abandoned = true;
      },
    });
  }

  /**
   * Removes the host made ahead for `phase`, if any (or keeps it from being made): for when what
   * the phase will run in is known to differ, e.g. before its image is retired. Resolves once it
   * is gone.
   */
  dropAnticipatedHost(phase: PhaseName): Promise<void> {
    const kind: HostKind = `phase:${phase}`;
    const ahead = this.#hosts.get(kind);
    return ahead?.anticipated === undefined ? Promise.resolve() : this.#dropAhead(kind, ahead);
  }

  #dropAhead(kind: HostKind, ahead: HostEntry): Promise<void> {
    ahead.abandon?.();
    // Made but not started: the container is still there to remove.
    const made = (ahead.started ?? ahead.created).catch(() => ahead.created);
    return this.#removeHostLater(kind, made, ahead.name);
  }

  /** The host of a phase in an image of its own (see #run). */
  #ownSpec(phase: PhaseName, image: string, mounts: MountSpec[] = []): HostSpec {
    const { daemon } = PHASES[phase];
    return {
      image,
      daemon,
      mounts: [...(daemon ? this.#daemonMounts() : this.#sessionMounts(true)), ...mounts],
    };
  }

  #hostSpec(kind: HostKind): HostSpec {
    return kind === 'lifecycle'
      ? { image: this.#daemonImage(), daemon: true, mounts: this.#daemonMounts() }
      : { image: this.#opts.builderImage, daemon: false, mounts: this.#sessionMounts(true) };
  }

  /**
   * No more buildpack phases will run (the build phase is over): the buildpacks host is stopped
   * in the background, so that removing it later is quick. Archives still go through it: a later
   * archive call waits for the stop (call this when none is under way).
   */
  buildpackPhasesDone(): void {
    const host = this.#hosts.get('buildpacks');
    if (!host?.started) return;
    const started = host.started;
    host.started = undefined;
    // dispose() removes it whatever state it is in
    const stopping = started.then((id) => this.#client.containers.kill(id)).catch(() => undefined);
    this.#stopping = stopping;
    this.#removals.add(stopping);
    void stopping.finally(() => this.#removals.delete(stopping));
  }

  #daemonImage(): string {
    return this.#opts.lifecycleImage ?? this.#opts.builderImage;
  }

  /** The mounts of a phase with the daemon's socket: the session's, the caches, the socket. */
  #daemonMounts(): MountSpec[] {
    const mounts: MountSpec[] = [...this.#sessionMounts(false)];
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
    return mounts;
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
    const archive = oneAhead(
      appArchive(tree, {
        owner: this.#opts.owner,
        prefix: '.',
        onProgress: (p) => this.#emit({ type: 'upload-progress', target: 'app', ...p }),
      }),
    );
    await this.#client.containers.putArchive(this.helperContainer, PATHS.workspace, archive, {
      signal,
    });
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
    const started = performance.now();
    await this.#settled();
    await this.#client.containers.putArchive(this.helperContainer, path, tar, { signal });
    this.#archived('in', path, started);
  }

  #archived(direction: 'in' | 'out', path: string, started: number): void {
    this.#emit({
      type: 'archive',
      direction,
      path,
      durationMs: Math.round(performance.now() - started),
    });
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
    await this.#settled();
    return this.#client.containers.getArchive(this.helperContainer, path, { signal });
  }

  /** Archive calls wait for a stop of the buildpacks host under way: they never race it. */
  async #settled(): Promise<void> {
    if (this.#stopping) await this.#stopping;
  }

  /** A file's text, or undefined when it does not exist. */
  async readFile(path: string, signal?: AbortSignal): Promise<string | undefined> {
    const started = performance.now();
    let stream: Readable;
    try {
      stream = await this.getArchive(path, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const files = await readTarFiles(stream);
    this.#archived('out', path, started);
    const content = files.get(path.slice(path.lastIndexOf('/') + 1));
    return content?.toString('utf8');
  }

  /**
   * Copies `path` (a folder) into `localDir`, which then holds `<basename of path>/...`.
   * Resolves false when `path` does not exist.
   */
  async copyOut(path: string, localDir: string, signal?: AbortSignal): Promise<boolean> {
    const started = performance.now();
    let stream: Readable;
    try {
      stream = await this.getArchive(path, signal);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    await extractTo(stream, localDir, path.slice(path.lastIndexOf('/') + 1));
    this.#archived('out', path, started);
    return true;
  }

  /** Runs one phase to completion, streaming its log as events; throws LifecycleError on a non-zero exit. */
  async runPhase(phase: PhaseName, args: string[], opts: RunPhaseOptions = {}): Promise<void> {
    return this.preparePhase(phase, args, opts).start();
  }

  /**
   * Creates the phase's container now (create, attach, exit waiter: ~50-100 ms) and starts it
   * only when `start()` is called, so that the next phase's container is ready while the current
   * one runs. `start()` resolves or rejects as runPhase does; `cancel()` (or the signal) removes
   * the container unstarted. One of the two must be called.
   */
  preparePhase(phase: PhaseName, args: string[], opts: RunPhaseOptions = {}): PreparedPhase {
    let go!: () => void;
    let refuse!: (reason: Error) => void;
    const asked = { at: Number.POSITIVE_INFINITY };
    const gate = new Promise<void>((resolve, reject) => {
      go = resolve;
      refuse = reject;
    });
    gate.catch(() => undefined);
    // The phase's own signal: the caller's, and the one given to start() (e.g. a schedule's).
    const controller = new AbortController();
    // Not starting aborts the container's requests too: podman does not end the exit waiter of
    // a created container that is removed, and a waiter left open kept the client from closing.
    const stop = (reason: Error) => {
      refuse(reason);
      controller.abort(reason);
    };
    const link = (signal: AbortSignal | undefined) => {
      if (!signal) return () => {};
      const onAbort = () => {
        controller.abort(signal.reason);
        stop(new LifecycleError('ERR_PHASE_ABORTED', `${phase} was interrupted`));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    };
    const unlinks = [link(opts.signal)];
    const done = this.#run(
      phase,
      args,
      { ...opts, signal: controller.signal },
      gate,
      asked,
    ).finally(() => {
      for (const unlink of unlinks) unlink();
    });
    done.catch(() => undefined);
    this.#waiting.set(done, stop);
    void done.finally(() => this.#waiting.delete(done)).catch(() => undefined);
    return {
      start: (signal?: AbortSignal) => {
        asked.at = performance.now();
        this.#waiting.delete(done);
        unlinks.push(link(signal));
        go();
        return done;
      },
      cancel: () => {
        stop(new LifecycleError('ERR_PHASE_ABORTED', `${phase} was not started`));
        void done.catch(() => undefined);
      },
    };
  }

  async #run(
    phase: PhaseName,
    args: string[],
    opts: RunPhaseOptions,
    gate: Promise<void>,
    asked: { at: number },
  ): Promise<void> {
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
    // The modules volume only where buildpacks run (detector, builder): the phases with the
    // daemon's socket never see them, and podman's first start of a container mounting a volume
    // may reset the volume's root (a root phase in another image left it unreadable to the CNB
    // user while the modules were being put in).
    if (this.#hostsEnabled) {
      const own = opts.image !== undefined || (opts.mounts?.length ?? 0) > 0;
      const kind: HostKind = own
        ? `phase:${phase}${opts.attempt ? `-${opts.attempt}` : ''}`
        : traits.daemon
          ? 'lifecycle'
          : 'buildpacks';
      const spec = own ? this.#ownSpec(phase, image, opts.mounts) : undefined;
      // A host made ahead for this phase that it does not use (no image of its own after all).
      if (kind !== `phase:${phase}`) void this.dropAnticipatedHost(phase);
      return this.#exec(kind, spec, phase, args, {
        opts,
        gate,
        asked,
        image,
        user,
        env,
      });
    }
    const mounts: MountSpec[] = [
      ...(traits.daemon ? this.#daemonMounts() : this.#sessionMounts(true)),
      ...(opts.mounts ?? []),
    ];
    const spec: ContainerCreateSpec = {
      Image: image,
      Entrypoint: [],
      Cmd: [`/cnb/lifecycle/${phase}`, ...args],
      User: user,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: this.#labels(),
      // The phases that hold the daemon socket could start any container on any network, so
      // `none` isolates nothing there; `host` skips making a network namespace (~0.1 s a
      // container on docker-26.1). detector and builder (buildpack code) keep the session's.
      HostConfig: {
        Mounts: mounts,
        NetworkMode: traits.daemon ? 'host' : (this.#opts.network ?? 'none'),
      },
    };
    const name = `imgext-${this.id}-${phase}${opts.attempt ? `-${opts.attempt}` : ''}`;
    const { lines, tail } = this.#phaseLog(phase);
    const created = performance.now();
    let ready = created;
    let started = created;
    this.#containers.add(name);
    let exitCode: number;
    let containerId: string | undefined;
    try {
      ({ exitCode, containerId } = await this.#client.containers.run(spec, {
        name,
        // Removed in the background (off the critical path), after its timings are read.
        remove: false,
        signal: opts.signal,
        beforeStart: async (id) => {
          containerId = id;
          this.#emit({ type: 'resource', action: 'created', kind: 'container', name });
          ready = performance.now();
          await gate;
          started = performance.now();
          this.#phaseStarted(phase, image, user, args, env);
        },
        onOutput: (chunk) => lines.push(chunk.stream, chunk.data),
        // A kill that failed after an abort (the removal is ours, below): said, not swallowed.
        onWarning: (w) =>
          this.#emit({ type: 'cleanup-failed', kind: 'container', name, message: w.message }),
      }));
    } catch (err) {
      lines.flush();
      if (containerId) this.#removeLater(phase, name, containerId);
      throw interrupted(phase, err, opts.signal);
    }
    lines.flush();
    this.#phaseEnded(phase, exitCode, { created, ready, started, asked: asked.at });
    this.#removeLater(phase, name, containerId);
    if (exitCode !== 0) throw phaseFailure(phase, exitCode, tail);
  }

  /** A phase's output as `phase-log` events, its last TAIL_LINES lines kept for its error. */
  #phaseLog(phase: PhaseName): { lines: LineSplitter; tail: string[] } {
    const tail: string[] = [];
    const lines = new LineSplitter((stream, line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      this.#emit({ type: 'phase-log', phase, stream, line });
    });
    return { lines, tail };
  }

  #phaseStarted(
    phase: PhaseName,
    image: string,
    user: string,
    args: string[],
    env: Record<string, string>,
  ): void {
    this.#emit({ type: 'phase-start', phase, image, user, args, env: Object.keys(env).sort() });
  }

  /**
   * `phase-end`: durationMs from when the phase was asked to start (its container's or host's
   * making too, when that was still going on), createMs that making, runMs its run.
   */
  #phaseEnded(
    phase: PhaseName,
    exitCode: number,
    t: { created: number; ready: number; started: number; asked: number },
  ): void {
    const exited = performance.now();
    this.#emit({
      type: 'phase-end',
      phase,
      exitCode,
      durationMs: Math.round(exited - Math.max(t.created, Math.min(t.asked, t.started))),
      createMs: Math.round(t.ready - t.created),
      runMs: Math.round(exited - t.started),
    });
  }

  /** A phase exec'd in its host: the same events and errors as a phase in its own container. */
  async #exec(
    kind: HostKind,
    spec: HostSpec | undefined,
    phase: PhaseName,
    args: string[],
    run: {
      opts: RunPhaseOptions;
      gate: Promise<void>;
      asked: { at: number };
      image: string;
      user: string;
      env: Record<string, string>;
    },
  ): Promise<void> {
    const { opts, user, env } = run;
    const { lines, tail } = this.#phaseLog(phase);
    const created = performance.now();
    // A phase's own host is made and started now, while it waits for its turn; removed after it.
    const hosting = this.#host(kind, opts.signal, spec);
    const hostName = this.#hosts.get(kind)?.name;
    try {
      let host: string;
      try {
        host = await hosting;
      } catch (err) {
        throw interrupted(phase, err, opts.signal);
      }
      const ready = performance.now();
      await run.gate;
      const started = performance.now();
      this.#phaseStarted(phase, run.image, user, args, env);
      let exitCode: number;
      try {
        ({ exitCode } = await this.#client.containers.exec(
          host,
          {
            Cmd: [`/cnb/lifecycle/${phase}`, ...args],
            User: user,
            Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
          },
          { signal: opts.signal, onOutput: (chunk) => lines.push(chunk.stream, chunk.data) },
        ));
      } catch (err) {
        lines.flush();
        throw interrupted(phase, err, opts.signal);
      }
      lines.flush();
      this.#phaseEnded(phase, exitCode, { created, ready, started, asked: run.asked.at });
      if (exitCode !== 0) throw phaseFailure(phase, exitCode, tail);
    } finally {
      if (spec) this.#removeHostLater(kind, hosting, hostName);
    }
  }

  /** Removes a phase's own host in the background once its phase is over; dispose() waits. */
  #removeHostLater(
    kind: HostKind,
    hosting: Promise<string>,
    name = this.#hostName(kind),
  ): Promise<void> {
    this.#hosts.delete(kind);
    const removal = (async () => {
      let id: string;
      try {
        id = await hosting;
      } catch {
        return; // never made, or dispose() finds it by label
      }
      await this.#removeContainer(id, name, id);
    })();
    this.#removals.add(removal);
    void removal.finally(() => this.#removals.delete(removal));
    return removal;
  }

  /**
   * Reads a finished phase container's own start/finish times, removes it, and emits
   * `phase-timing`; in the background, so the next phase need not wait for the removal.
   * dispose() waits for these.
   */
  #removeLater(phase: PhaseName, name: string, id: string): void {
    const removal = (async () => {
      const t0 = performance.now();
      const info = await this.#client.containers.inspect(id).catch(() => undefined);
      const t1 = performance.now();
      const state = info?.State as { StartedAt?: string; FinishedAt?: string } | undefined;
      const processMs = elapsedMs(state?.StartedAt, state?.FinishedAt);
      await this.#removeContainer(id, name, name);
      this.#emit({
        type: 'phase-timing',
        phase,
        ...(processMs !== undefined ? { processMs } : {}),
        inspectMs: Math.round(t1 - t0),
        removeMs: Math.round(performance.now() - t1),
      });
    })();
    this.#removals.add(removal);
    void removal.finally(() => this.#removals.delete(removal));
  }

  /**
   * Removes a finished container (with force) and says so; `key` is how #containers knows it.
   * A failure other than "gone already" is reported as cleanup-failed, never thrown.
   */
  async #removeContainer(id: string, name: string, key: string): Promise<void> {
    try {
      await this.#client.containers.remove(id, { force: true, volumes: true });
      this.#containers.delete(key);
      this.#emit({ type: 'resource', action: 'removed', kind: 'container', name });
    } catch (err) {
      if (isNotFound(err)) this.#containers.delete(key);
      else this.#cleanupFailed('container', name, err);
    }
  }

  /** Removes the session's containers and volumes (not the caches). Never throws; idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const stop of this.#waiting.values()) {
      stop(new LifecycleError('ERR_SESSION_STATE', 'the session was disposed'));
    }
    await Promise.allSettled([...this.#waiting.keys()]);
    // Hosts still being made or started: settled first, so that what they made is removed below.
    await Promise.allSettled(
      [...this.#hosts.values()].flatMap((h) => [h.created, ...(h.started ? [h.started] : [])]),
    );
    await Promise.allSettled([...this.#removals]);
    const leftovers = await this.#client.containers
      .list({ all: true, filters: { label: [`${SESSION_LABEL}=${this.id}`] } })
      .catch(() => []);
    const containers = new Set([...this.#containers, ...leftovers.map((c) => c.Id)]);
    await Promise.all(
      [...containers].map((id) =>
        this.#client.containers.remove(id, { force: true, volumes: true }).then(
          () => this.#emit({ type: 'resource', action: 'removed', kind: 'container', name: id }),
          (err: unknown) => this.#cleanupFailed('container', id, err),
        ),
      ),
    );
    // By label too, as the containers: what this process did not see created (a volume whose
    // create answer was lost) is still the session's.
    const volumes = await this.#client.volumes
      .list({ filters: { label: [`${SESSION_LABEL}=${this.id}`] } })
      .catch(() => []);
    await Promise.all(
      [...new Set([...this.#createdVolumes, ...volumes.map((v) => v.Name)])].map((name) =>
        this.#client.volumes.remove(name, { force: true }).then(
          () => this.#emit({ type: 'resource', action: 'removed', kind: 'volume', name }),
          (err: unknown) => this.#cleanupFailed('volume', name, err),
        ),
      ),
    );
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

  #sessionMounts(modules = true): MountSpec[] {
    return [
      { Type: 'volume', Source: this.volumes.layers, Target: PATHS.layers },
      { Type: 'volume', Source: this.volumes.workspace, Target: PATHS.workspace },
      { Type: 'volume', Source: this.volumes.platform, Target: PATHS.platform },
      ...(modules && this.volumes.modules
        ? [{ Type: 'volume' as const, Source: this.volumes.modules, Target: PATHS.modules }]
        : []),
    ];
  }

  #labels(): Record<string, string> {
    return { ...this.#opts.labels, [SESSION_LABEL]: this.id };
  }

  #emit(event: LifecycleEvent): void {
    this.#opts.onEvent?.(event);
  }
}

/**
 * Creates a cache volume (labelled CACHE_LABEL) unless it exists; for a caller that makes the
 * caches itself (see `createCacheVolumes`). Like the session's own creates, never cut off by a
 * signal: check it before.
 */
export async function createCacheVolume(client: EngineClientApi, name: string): Promise<void> {
  await client.volumes.create({ name, labels: { [CACHE_LABEL]: 'true' } });
}

/** What a phase that did not run to its end throws: ERR_PHASE_ABORTED when it was aborted. */
function interrupted(phase: PhaseName, err: unknown, signal: AbortSignal | undefined): unknown {
  return signal?.aborted
    ? new LifecycleError('ERR_PHASE_ABORTED', `${phase} was interrupted`, { phase, cause: err })
    : err;
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

/** Milliseconds between two RFC 3339 times of the daemon (nanosecond digits dropped). */
function elapsedMs(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  // A process that ends at once can be seen exiting before the daemon records it as started.
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

function isNotFound(err: unknown): boolean {
  return err instanceof NotFoundError;
}
