/**
 * A whole buildpacks build with extensions, against the real lifecycle:
 * analyze -> detect -> (restore || extend build) -> build, || extend run -> export.
 * The phases run in containers (LifecycleSession); extension Dockerfiles are applied by the
 * daemon's build API (@imgext/extender). See docs/build-flow.md.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EngineClientApi,
  InvalidReferenceError,
  parseImageReference,
  type TarStream,
} from '@imgext/engine-client';
import {
  type BuilderChoice,
  type ChosenBuilder,
  chooseBuilder,
  defaultStepMemoDir,
  type ExtenderEvent,
  type ExtendResult,
  ExtendSession,
  ensureImage,
  extend,
  type PullPolicy,
  runSchedule,
  ScheduleError,
  StepMemo,
} from '@imgext/extender';
import {
  analyzerArgs,
  builderArgs,
  createCacheVolume,
  daemonSocketFor,
  detectorArgs,
  exporterArgs,
  LifecycleSession,
  type ModuleDirs,
  PATHS,
  type PreparedPhase,
  packFiles,
  restorerArgs,
} from '@imgext/lifecycle';
import {
  type Analyzed,
  apiAtLeast,
  describeBuilder,
  negotiatePlatformApi,
  parseAnalyzed,
  parseGroup,
  parseToml,
  runImageTarget,
  serializeAnalyzed,
  serializeRunToml,
  withDetected,
} from '@imgext/metadata';
import {
  isReuseDiffIdError,
  readAnalyzed,
  withExtend,
  withoutPreviousImage,
  writeAnalyzed,
} from './analyzed-file.js';
import { type AppFiles, appFilterFor } from './app-files.js';
import { BuildAppError } from './build-error.js';
import { type BuildEvent, type BuildEventListener, isBuildBranch } from './build-events.js';
import { acquireBuildLock } from './build-lock.js';
import { type BuildSummary, summarizeBuild } from './build-summary.js';
import { builderMetadata, cnbUser, findBuilder } from './builder-image.js';
import { cacheHash, cacheVolumes, missingVolumes, removeCacheVolume } from './cache-volumes.js';
import { customOrderToml, type GivenModule } from './custom-order.js';
import { extensionsLabel } from './extensions-record.js';
import { chooseLifecycleImage } from './lifecycle-image.js';
import {
  builderModules,
  isLocalModulePath,
  LocalModules,
  type ModuleKind,
  type ModuleRef,
} from './local-modules.js';
import { publishAuthRefs, registryAuthEnv } from './registry-auth-env.js';
import { extendRunImage } from './run-branch.js';

export interface BuildOptions {
  /** The image to build (a registry reference with `publish`). */
  image: string;
  /** The builder image. */
  builder: string;
  /** The app folder on the client. */
  appDir: string;
  /** Default: the builder's first run image. */
  runImage?: string;
  /** Files of /platform/env (see `platformEnv`). */
  platformEnv?: Record<string, string>;
  /** Export to a registry instead of the daemon. */
  publish?: boolean;
  /** For the builder and run images. Default 'if-not-present'. */
  pullPolicy?: PullPolicy;
  /** The cache in this registry image (with `publish`) instead of the cache volume. */
  cacheImage?: string;
  /** Empty the build cache volume first. */
  clearCache?: boolean;
  /** Network of the phase containers and extension builds: 'none' (default) or 'host'. */
  network?: string;
  /** The image of the daemon-access phases (analyzer, restorer, exporter). */
  lifecycleImage?: string;
  /**
   * Let the builder's own lifecycle run the daemon-access phases. Untrusted (the default), they
   * run in `lifecycleImage` or `buildpacksio/lifecycle:<the builder's lifecycle version>`.
   */
  trustBuilder?: boolean;
  /** The daemon's socket path on its own host, for a remote daemon (see daemonSocketFor). */
  daemonSocket?: string;
  /** What of `appDir` travels: project.toml's include/exclude (gitignore patterns; not both). */
  appFiles?: AppFiles;
  /** `-log-level` of every phase. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** The daemon builder of the extension Dockerfiles (see `chooseBuilder`). Default 'auto'. */
  extender?: BuilderChoice;
  /** Where `extender` came from, for the reason given (e.g. '--extender'). */
  extenderSource?: string;
  /** More names of the built image (pack's `--tag`), exported (and pushed) with it. */
  tags?: string[];
  /** The image's default process type (pack's `--default-process`). */
  defaultProcess?: string;
  /** Mounts of the build phase only (pack's `--volume`); pack's default is read-only. */
  volumes?: BuildVolume[];
  /** Reuse the layers of this image (pack's `--previous-image`); the result is `image`. */
  previousImage?: string;
  /** The image's creation time, seconds since the epoch (SOURCE_DATE_EPOCH of the exporter). */
  creationTime?: number;
  /** The CNB user and group of the build (CNB_USER_ID/CNB_GROUP_ID); default the builder's. */
  uid?: number;
  gid?: number;
  /** Registries the lifecycle may reach over plain http (CNB_INSECURE_REGISTRIES). */
  insecureRegistries?: string[];
  /** The lifecycle's own output without colour codes (CNB_NO_COLOR). */
  noColor?: boolean;
  /** Copy the exporter's report.toml into this local folder. */
  reportOutputDir?: string;
  /** Copy the build's SBOM files (/layers/sbom) into this local folder. */
  sbomOutputDir?: string;
  /**
   * pack's `--buildpack`: one group in this order instead of the builder's order. Each is an id
   * on the builder (`id`, `id@version`, `urn:cnb:builder:id`) or a local folder or .tgz/.tar of
   * a buildpack (a LocalModuleRef, or a string that is a path: see isLocalModulePath).
   */
  buildpacks?: ModuleRef[];
  /** pack's `--extension`: the same for extensions, instead of the builder's order-extensions. */
  extensions?: ModuleRef[];
  /** project.toml's `[[io.buildpacks.pre.group]]`: before every group of the order. */
  preBuildpacks?: ModuleRef[];
  /** project.toml's `[[io.buildpacks.post.group]]`: after every group of the order. */
  postBuildpacks?: ModuleRef[];
  /**
   * Export once more without the previous image when a daemon export fails with the lifecycle's
   * layer-reuse bug (docs/build-flow.md, "Known issue: invalid diffID"). Default true; false lets
   * that export fail the build.
   */
  exportRetry?: boolean;
  /**
   * Exec the phases in two long-lived containers instead of one container each (LifecycleSession's
   * `phaseHosts`). Default: true unless `IMGEXT_PHASE_HOSTS=off`.
   */
  phaseHosts?: boolean;
}

/** A host path (or volume name) mounted into the build phase's container. */
export interface BuildVolume {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface BuildAppOptions {
  /** Aborting removes every container and volume of the build, then rejects. */
  signal?: AbortSignal;
  onEvent?: BuildEventListener;
}

/** Builds `options.image`; resolves when it exists, rejects (after cleaning up) otherwise. */
export async function buildApp(
  client: EngineClientApi,
  options: BuildOptions,
  opts: BuildAppOptions = {},
): Promise<BuildSummary> {
  const started = performance.now();
  checkOptions(options, options.network ?? 'none');
  // The local buildpacks and extensions are read and checked before the engine is asked anything.
  const local = new LocalModules();
  try {
    const read = async (refs: ModuleRef[] | undefined, kind: ModuleKind) => {
      const out: GivenModule[] = [];
      for (const ref of refs ?? []) {
        opts.signal?.throwIfAborted();
        if (typeof ref === 'string' && !isLocalModulePath(ref)) out.push(ref);
        else out.push(await local.add(typeof ref === 'string' ? { path: ref } : ref, kind));
      }
      return out;
    };
    const modules: BuildModules = {
      local,
      buildpacks: await read(options.buildpacks, 'buildpack'),
      extensions: await read(options.extensions, 'extension'),
      pre: await read(options.preBuildpacks, 'buildpack'),
      post: await read(options.postBuildpacks, 'buildpack'),
    };
    return await buildWithModules(client, options, opts, modules, started);
  } finally {
    await local.dispose();
  }
}

/** The modules given (see BuildOptions.buildpacks), read. */
interface BuildModules {
  local: LocalModules;
  buildpacks: GivenModule[];
  extensions: GivenModule[];
  pre: GivenModule[];
  post: GivenModule[];
}

async function buildWithModules(
  client: EngineClientApi,
  options: BuildOptions,
  { signal = new AbortController().signal, onEvent }: BuildAppOptions,
  modules: BuildModules,
  started: number,
): Promise<BuildSummary> {
  const emit = (e: BuildEvent) => onEvent?.(e);
  const pullPolicy = options.pullPolicy ?? 'if-not-present';
  const network = options.network ?? 'none';
  const publish = options.publish === true;
  const daemon = !publish;
  // Asked once, beside everything else; only awaited when there are Dockerfiles to apply.
  const chosen = chooseBuilder(client, options.extender ?? 'auto', {
    signal,
    source: options.extenderSource ?? 'extender option',
  });
  chosen.catch(() => undefined);
  const builder = await findBuilder(client, options.builder, pullPolicy, signal);
  const md = builderMetadata(builder, options.builder);
  const platformApi = negotiatePlatformApi(md.platformApis);
  const { local } = modules;
  const orderToml =
    modules.buildpacks.length ||
    modules.extensions.length ||
    modules.pre.length ||
    modules.post.length
      ? customOrderToml(describeBuilder(builder.Config?.Labels), modules, options.builder)
      : undefined;
  // Local modules: in the session's modules volume, beside links to the builder's own.
  const moduleArchives =
    local.modules.length > 0
      ? local.archives(
          builderModules(builder.Config?.Labels, describeBuilder(builder.Config?.Labels)),
        )
      : [];
  const builderOwner = cnbUser(builder, options.builder);
  const owner = {
    uid: options.uid ?? builderOwner.uid,
    gid: options.gid ?? builderOwner.gid,
  };
  emit({
    type: 'build-start',
    image: options.image,
    builder: options.builder,
    platformApi,
    lifecycleVersion: md.lifecycleVersion,
  });
  const lifecycle = await chooseLifecycleImage(client, {
    builder: options.builder,
    lifecycleVersion: md.lifecycleVersion,
    trustBuilder: options.trustBuilder === true,
    ...(options.lifecycleImage ? { lifecycleImage: options.lifecycleImage } : {}),
    pullPolicy,
    signal,
  });
  emit({ type: 'lifecycle-image', builder: options.builder, ...lifecycle });
  const appFilter = appFilterFor(options.appFiles);
  const caches = cacheVolumes(options.image);
  const cacheNames = [
    ...(options.cacheImage ? [] : [caches.build]),
    ...(daemon ? [caches.launch] : []),
  ];
  // One build of an image at a time: its caches are never written by two builds at once. The
  // lock is taken while the session's own volumes and helper container are made (they touch no
  // cache, so another build of the image may still run): the two container creates, ~0.1 s
  // each, no longer come one after the other. The caches are looked at, emptied (--clear-cache)
  // and created only once the lock is held, so no phase touches them before.
  const waitStarted = performance.now();
  let waited = false;
  // A session that could not be set up stops the wait for the lock too.
  const sessionFailed = new AbortController();
  const lockSignal = AbortSignal.any([signal, sessionFailed.signal]);
  const locking = acquireBuildLock(client, {
    image: options.image,
    lockImage: builder.Id,
    signal: lockSignal,
    onWait: (holder) => {
      waited = true;
      emit({ type: 'waiting-for-build', image: options.image, holder });
    },
    onStale: (holder) => emit({ type: 'stale-build-lock-removed', image: options.image, holder }),
  }).then(async (lock) => {
    if (waited) {
      const durationMs = Math.round(performance.now() - waitStarted);
      emit({ type: 'waited-for-build', image: options.image, durationMs });
    }
    const newCaches: string[] = [];
    try {
      await prepareCaches(client, caches, cacheNames, newCaches, options.clearCache, lockSignal);
    } catch (err) {
      await forgetCaches(client, newCaches, emit);
      await releaseLock(lock, emit);
      throw err;
    }
    return { lock, newCaches };
  });
  const opening = LifecycleSession.create(
    {
      client,
      builderImage: builder.Id,
      ...(lifecycle.image ? { lifecycleImage: lifecycle.image } : {}),
      platformApi,
      owner,
      daemonSocket: daemonSocketFor(client.endpoint, options.daemonSocket),
      network: publish ? 'host' : network,
      extensions: md.extensions.length > 0 || local.hasExtensions,
      modulesVolume: moduleArchives.length > 0,
      ...(options.cacheImage ? {} : { cacheVolume: caches.build }),
      ...(daemon ? { launchCacheVolume: caches.launch } : {}),
      createCacheVolumes: false,
      phaseHosts: options.phaseHosts ?? process.env.IMGEXT_PHASE_HOSTS !== 'off',
      labels: { 'io.imgext.build': options.image },
      onEvent: (event) => emit({ type: 'lifecycle', event }),
    },
    signal,
  ).catch((err: unknown) => {
    sessionFailed.abort(err);
    throw err;
  });
  const [locked, opened] = await Promise.allSettled([locking, opening]);
  if (locked.status === 'rejected' || opened.status === 'rejected') {
    // What did come about goes: the session (a failed create removed its own), the caches
    // this build created, then the lock.
    if (opened.status === 'fulfilled') await opened.value.dispose();
    if (locked.status === 'fulfilled') {
      await forgetCaches(client, locked.value.newCaches, emit);
      await releaseLock(locked.value.lock, emit);
    }
    throw opened.status === 'rejected' ? opened.reason : (locked as PromiseRejectedResult).reason;
  }
  const { lock, newCaches } = locked.value;
  try {
    return await buildLocked({
      client,
      options,
      signal,
      emit,
      started,
      pullPolicy,
      network,
      publish,
      daemon,
      builder,
      md,
      platformApi,
      owner,
      appFilter,
      chosen,
      orderToml,
      moduleArchives,
      localExtensions: local.hasExtensions,
      session: opened.value,
      newCaches,
    });
  } finally {
    await releaseLock(lock, emit);
  }
}

/**
 * Under the build lock: empties the build cache (--clear-cache), notes in `newCaches` those of
 * `names` that do not exist yet (a first build that fails removes them again), and creates
 * them. Like the session's creates, the create requests are not cut off by `signal`.
 */
async function prepareCaches(
  client: EngineClientApi,
  caches: { build: string },
  names: string[],
  newCaches: string[],
  clearCache: boolean | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (clearCache) await removeCacheVolume(client, caches.build);
  const missing = await missingVolumes(client, names, signal);
  newCaches.push(...missing);
  signal.throwIfAborted();
  const made = await Promise.allSettled(missing.map((name) => createCacheVolume(client, name)));
  const failed = made.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Removes the cache volumes a failed build created; a failure to is told, not thrown. */
async function forgetCaches(
  client: EngineClientApi,
  names: string[],
  emit: (e: BuildEvent) => void,
): Promise<void> {
  for (const name of names) {
    await removeCacheVolume(client, name).catch((err: unknown) =>
      emit({
        type: 'lifecycle',
        event: { type: 'cleanup-failed', kind: 'volume', name, message: (err as Error).message },
      }),
    );
  }
}

async function releaseLock(
  lock: { name: string; release(): Promise<void> },
  emit: (e: BuildEvent) => void,
): Promise<void> {
  await lock.release().catch((err: unknown) =>
    emit({
      type: 'lifecycle',
      event: {
        type: 'cleanup-failed',
        kind: 'container',
        name: lock.name,
        message: err instanceof Error ? err.message : String(err),
      },
    }),
  );
}

/** What buildApp knows once it holds the lock on the image's caches. */
interface LockedBuild {
  client: EngineClientApi;
  options: BuildOptions;
  signal: AbortSignal;
  emit: (e: BuildEvent) => void;
  started: number;
  pullPolicy: PullPolicy;
  network: string;
  publish: boolean;
  daemon: boolean;
  builder: Awaited<ReturnType<typeof findBuilder>>;
  md: ReturnType<typeof builderMetadata>;
  platformApi: string;
  owner: ReturnType<typeof cnbUser>;
  appFilter: ReturnType<typeof appFilterFor>;
  /** The daemon builder of the extension Dockerfiles, being chosen (see chooseBuilder). */
  chosen: Promise<ChosenBuilder>;
  /** pack's --buildpack/--extension: the order that replaces the builder's, if any. */
  orderToml: string | undefined;
  /** The local modules, to extract at PATHS.modules (none: the builder's own only). */
  moduleArchives: TarStream[];
  /** Some of them are extensions. */
  localExtensions: boolean;
  /** The session, set up while the lock was taken. */
  session: LifecycleSession;
  /** The cache volumes this build created (removed again if it fails). */
  newCaches: string[];
}

/** The build proper, under the lock: phases, extensions, export. */
async function buildLocked(build: LockedBuild): Promise<BuildSummary> {
  const { client, options, signal, emit, started, pullPolicy, network, publish, daemon } = build;
  const { builder, md, platformApi, owner, appFilter, chosen, orderToml } = build;
  const { moduleArchives, session, newCaches } = build;
  const localModules = moduleArchives.length > 0;
  const moduleDirs: ModuleDirs = localModules
    ? {
        buildpacksDir: `${PATHS.modules}/buildpacks`,
        ...(apiAtLeast(platformApi, '0.10')
          ? { extensionsDir: `${PATHS.modules}/extensions` }
          : {}),
      }
    : {};
  let succeeded = false;
  let tmp: string;
  try {
    tmp = await mkdtemp(join(tmpdir(), 'imgext-build-'));
  } catch (err) {
    await session.dispose();
    await forgetCaches(client, newCaches, emit);
    throw err;
  }
  // Holds the extended images until the containers are gone; retires superseded cache images in
  // the background (the build phase barely uses the daemon).
  const images = new ExtendSession(client, session.id, {
    onCleanupFailed: ({ what, message }) =>
      emit({
        type: 'lifecycle',
        event: { type: 'cleanup-failed', kind: 'image', name: what, message },
      }),
  });
  const retire = <T extends ExtendResult | undefined>(result: T): T => images.retire(result);
  const stepMemoDir = defaultStepMemoDir();
  const memo = stepMemoDir ? new StepMemo(stepMemoDir) : undefined;
  // The image the last build of this app ran the buildpacks in (its build image extended): a
  // rebuild with the same extensions extends to the same image, so that phase's host is made
  // while analyze and detect run instead of after the extension (see anticipateHost). Only from
  // an image the last two builds both ran in ("stable"): a Dockerfile that takes build_id gives
  // a new image each build, and a host made ahead of it would be a container start spent.
  const memoKey = `${cacheHash(options.image)}-${builder.Id.replace(/^sha256:/, '').slice(0, 16)}`;
  const lastKey = `build-image-${memoKey}`;
  const stableKey = `build-image-stable-${memoKey}`;
  const lastBuildImage = memo
    ? Promise.all([memo.get(lastKey), memo.get(stableKey)]).then(
        ([last, stable]) => ({
          last: last?.imageId,
          stable: last && stable?.imageId === last.imageId ? last.imageId : undefined,
        }),
        () => ({ last: undefined, stable: undefined }),
      )
    : undefined;
  let buildPrepared = false;
  /** The image the builder's host was made ahead from, if it was. */
  let anticipated: string | undefined;
  const buildMounts = (options.volumes ?? []).map((v) => ({
    Type: 'bind' as const,
    Source: v.source,
    Target: v.target,
    ReadOnly: v.readOnly,
  }));
  try {
    const common = options.logLevel ? { logLevel: options.logLevel } : {};
    const cacheImage = options.cacheImage ? { cacheImage: options.cacheImage } : {};
    // Given explicitly, as pack does: a lifecycle image has no /cnb/run.toml to read it from.
    const runImage = options.runImage ?? md.runImages[0]?.image;
    const runToml = apiAtLeast(platformApi, '0.12') ? serializeRunToml(md.runImages) : undefined;
    // As pack: the analyzer and exporter read the run image from its registry too.
    const registryEnv: Record<string, string> = {
      ...(publish ? await registryAuthEnv(client, publishAuthRefs(options, runImage)) : {}),
      ...(options.insecureRegistries?.length
        ? { CNB_INSECURE_REGISTRIES: options.insecureRegistries.join(',') }
        : {}),
      ...(options.noColor ? { CNB_NO_COLOR: 'true' } : {}),
    };
    const phaseEnv: Record<string, string> = options.noColor ? { CNB_NO_COLOR: 'true' } : {};
    const detectArgs = detectorArgs({ ...common, ...moduleDirs });
    const detectOptions = { env: phaseEnv, signal };
    // The detector reads of analyzed.toml only the run image's name and target (the lifecycle's
    // Detector and Generator), and those the analyzer takes from the run image in the daemon: so
    // there the detector runs beside the analyzer, on a copy of them (DETECT_ANALYZED), and
    // what it changes (a switch, `extend`) is put into the analyzer's file after both
    // (withDetected), as the lifecycle's generator does. Elsewhere (publish, platform API < 0.12,
    // no run image named) detect runs after analyze, on its file.
    const beside = daemon && runImage !== undefined && apiAtLeast(platformApi, '0.12');
    let provisional: Analyzed | undefined;
    let detector: PreparedPhase | undefined;
    const runImageReady =
      runImage && daemon
        ? ensureImage(client, runImage, pullPolicy, { signal }).then(() =>
            client.images.inspect(runImage, { signal }),
          )
        : undefined;
    runImageReady?.catch(() => undefined);
    // The analyzer reads neither /workspace nor /platform: the app travels while it runs.
    await runSchedule(
      [
        {
          id: 'upload-app',
          run: async (s) => {
            await session.putApp(options.appDir, s, appFilter ? { filter: appFilter } : {});
            await session.putPlatformEnv(options.platformEnv ?? {}, s);
            for (const tar of moduleArchives) await session.putArchive(PATHS.modules, tar, s);
            // Where the detector looks before the builder's /cnb/order.toml.
            if (orderToml) await session.putFile('/layers/order.toml', orderToml, s);
            // As pack: the exporter records the run image (runImage.image, mirrors) from this
            // run.toml; a lifecycle image has no /cnb/run.toml of the builder's.
            if (runToml) await session.putFile(RUN_TOML, runToml, s);
            if (!beside || !runImageReady || !runImage) {
              // Made now (after the uploads: starting its container holds off archive calls).
              detector = session.preparePhase('detector', detectArgs, detectOptions);
              return;
            }
            const info = await untilAborted(runImageReady, s);
            provisional = {
              runImage: {
                // As the analyzer writes it in daemon mode: the image ID without its algorithm.
                reference: info.Id.replace(/^sha256:/, ''),
                image: runImage,
                target: runImageTarget({
                  os: info.Os,
                  architecture: info.Architecture,
                  variant: info.Variant,
                  labels: info.Config?.Labels,
                }),
              },
              rest: {},
            };
            // With its folder entry: /layers becomes the CNB user's now, as the analyzer would
            // make it (it chowns /layers to -uid/-gid), before the detector writes into it.
            await session.putArchive(
              PATHS.layers,
              packFiles(
                [
                  { path: '.', content: '', directory: true },
                  {
                    path: DETECT_ANALYZED.slice(`${PATHS.layers}/`.length),
                    content: serializeAnalyzed(provisional),
                  },
                ],
                owner,
              ),
              s,
            );
            await session.runPhase('detector', [...detectArgs, '-analyzed', DETECT_ANALYZED], {
              ...detectOptions,
              signal: s,
            });
          },
        },
        {
          id: 'analyze',
          run: async (s) => {
            // Prepared first: its container (or host) is made while the run image is checked.
            const analyzer = session.preparePhase(
              'analyzer',
              analyzerArgs({
                ...common,
                image: options.image,
                ...owner,
                daemon,
                launchCache: daemon,
                ...(runImage ? { runImage } : {}),
                ...(options.previousImage ? { previousImage: options.previousImage } : {}),
                ...(options.tags?.length ? { tags: options.tags } : {}),
              }),
              { env: registryEnv, signal: s },
            );
            // After the analyzer's host is on its way (the anticipated host waits for it).
            void lastBuildImage?.then(({ stable: image }) => {
              if (image && !buildPrepared && !s.aborted) {
                anticipated = image;
                session.anticipateHost('builder', { image, mounts: buildMounts });
              }
            });
            try {
              if (runImageReady) await untilAborted(runImageReady, s);
            } catch (err) {
              analyzer.cancel();
              throw err;
            }
            await analyzer.start(s);
          },
        },
      ],
      { signal },
    ).catch((err: unknown) => {
      detector?.cancel();
      return rootCause(err);
    });
    // Detect after analyze: what the analyzer wrote, before the detector changes it.
    const analyzerWrote = detector ? await readAnalyzed(session, signal) : undefined;
    if (detector) await detector.start();
    // What analyze and detect wrote (analyzed.toml, group.toml, generated/) in one archive call:
    // /layers holds nothing else yet (the restorer has not run).
    await session.copyOut(PATHS.layers, tmp, signal);
    const layersDir = join(tmp, 'layers');
    const group = parseGroup((await readLocal(join(layersDir, 'group.toml'))) ?? '');
    const order = group.extensions.map((e) => e.id);
    const generatedDir = join(layersDir, 'generated');
    const hasGenerated = order.length > 0 && (await exists(generatedDir));
    const recordLabels = hasGenerated
      ? await extensionsLabel(generatedDir, platformApi, group.extensions)
      : {};
    const analyzedText = await readLocal(join(layersDir, 'analyzed.toml'));
    if (analyzedText === undefined) {
      throw new BuildAppError('ERR_NO_ANALYZED', 'the analyzer wrote no analyzed.toml');
    }
    let analyzedBefore: Analyzed;
    let analyzed: Analyzed;
    if (provisional) {
      analyzedBefore = parseAnalyzed(analyzedText);
      const detectedText = await readLocal(
        join(layersDir, DETECT_ANALYZED.slice(`${PATHS.layers}/`.length)),
      );
      analyzed = detectedText
        ? withDetected(analyzedBefore, provisional, parseAnalyzed(detectedText))
        : analyzedBefore;
    } else {
      analyzed = parseAnalyzed(analyzedText);
      analyzedBefore = analyzerWrote ?? analyzed;
    }
    const extendRun = analyzed.runImage?.extend === true;
    const switchedTo =
      analyzed.runImage?.image !== analyzedBefore.runImage?.image
        ? analyzed.runImage?.image
        : undefined;
    if (order.length > 0) {
      emit({ type: 'extensions-detected', extensions: order, extendRun, switchedTo });
    }
    const extender = hasGenerated ? await chosen : undefined;
    if (extender) emit({ type: 'extender-chosen', ...extender });
    if (switchedTo && daemon) await ensureImage(client, switchedTo, pullPolicy, { signal });
    // Publishing, a run image an extension switched to is read from its registry (the restorer
    // and the exporter resolve it): its registry's credentials go with the others.
    const lifecycleEnv =
      publish && switchedTo
        ? {
            ...registryEnv,
            ...(await registryAuthEnv(client, publishAuthRefs(options, runImage, switchedTo))),
          }
        : registryEnv;
    const restorer = session.preparePhase(
      'restorer',
      restorerArgs({
        ...common,
        ...owner,
        platformApi,
        daemon,
        cache: !options.cacheImage,
        ...cacheImage,
      }),
      { env: lifecycleEnv, signal },
    );
    // The restorer must not see extend = true: it would try a registry pull of the run image into
    // /kaniko. The run image's layout is written after it, and extend set back before export.
    // Beside the analyzer, the detector's switch reaches analyzed.toml here too.
    if (extendRun || (provisional && switchedTo)) {
      await writeAnalyzed(session, withExtend(analyzed, false), signal);
    }
    const branchStarted = new Map<string, number>();
    const extenderEvents = (event: ExtenderEvent) => {
      emit({ type: 'extender', event });
      if (!('task' in event) || !isBuildBranch(event.task)) return;
      if (event.type === 'task.start') {
        branchStarted.set(event.task, performance.now());
        emit({ type: 'branch-start', branch: event.task });
      } else if (event.type === 'task.done') {
        const durationMs = Math.round(performance.now() - (branchStarted.get(event.task) ?? 0));
        emit({ type: 'branch-end', branch: event.task, durationMs });
      }
    };
    const extendBase = {
      engine: client,
      generatedDir,
      platformApi,
      order,
      appDir: options.appDir,
      pullPolicy,
      networkMode: network,
      hold: images.hold,
      ...(extender ? { builder: extender.builder } : {}),
      labels: recordLabels,
      ...(memo ? { memo } : {}),
      onEvent: extenderEvents,
    };
    // The build-image extension needs only detect's output (the generated Dockerfiles, the group)
    // and the builder image, so it runs beside the restorer; so does the run branch (its base is
    // the run image as analyzed). The restorer reads group.toml and analyzed.toml and restores the
    // cache into /layers/<buildpack>/: nothing an extension writes (docs/build-flow.md).
    const exportArgs = exporterArgs({
      ...common,
      image: options.image,
      ...owner,
      daemon,
      cache: !options.cacheImage,
      launchCache: daemon,
      ...cacheImage,
      ...(options.tags?.length ? { tags: options.tags } : {}),
      ...(options.defaultProcess ? { processType: options.defaultProcess } : {}),
      ...(runToml ? { runToml: RUN_TOML } : {}),
    });
    const exportOptions = {
      env: {
        ...lifecycleEnv,
        ...(options.creationTime !== undefined
          ? { SOURCE_DATE_EPOCH: String(options.creationTime) }
          : {}),
      },
      signal,
    };
    const exporter = session.preparePhase('exporter', exportArgs, exportOptions);
    const results = await runSchedule(
      [
        {
          id: 'restore',
          run: (s) => restorer.start(s),
        },
        {
          id: 'extend-build',
          run: (s) =>
            (hasGenerated
              ? extend({ ...extendBase, kind: 'build', baseImage: builder.Id, signal: s })
              : Promise.resolve(undefined)
            ).then((result) => {
              buildPrepared = true; // too late to make one ahead now
              // A host made ahead from another image goes first: the image it runs may be one
              // this chain superseded, which a container using it would keep from being retired.
              const image = result && result.applied.length > 0 ? result.imageId : undefined;
              return images.retire(
                result,
                anticipated && image !== anticipated
                  ? session.dropAnticipatedHost('builder')
                  : undefined,
              );
            }),
        },
        {
          // The build phase's container (its own for an extended image) is made and started as
          // soon as the image is known, while the restorer may still run.
          id: 'prepare-build',
          after: ['extend-build'],
          run: async (s, deps) => {
            const extended = deps['extend-build'] as ExtendResult | undefined;
            const bpDir = moduleDirs.buildpacksDir
              ? { buildpacksDir: moduleDirs.buildpacksDir }
              : {};
            const image = extended && extended.applied.length > 0 ? extended.imageId : undefined;
            buildPrepared = true;
            if (memo && lastBuildImage) {
              // A hint for the next build only: a folder that cannot be written is no failure.
              const { last, stable } = await lastBuildImage;
              const writes = !image
                ? [memo.forget(lastKey), memo.forget(stableKey)]
                : image === last
                  ? stable === image
                    ? []
                    : [memo.put(stableKey, { imageId: image, steps: 0 })]
                  : [memo.put(lastKey, { imageId: image, steps: 0 }), memo.forget(stableKey)];
              await Promise.all(writes).catch(() => undefined);
            }
            return session.preparePhase('builder', builderArgs({ ...common, ...bpDir }), {
              // Else the builder image, the session's own.
              ...(image ? { image } : {}),
              env: phaseEnv,
              mounts: buildMounts,
              signal: s,
            });
          },
        },
        {
          id: 'build',
          after: ['restore', 'prepare-build'],
          run: (s, deps) => (deps['prepare-build'] as PreparedPhase).start(s),
        },
        {
          id: 'extend-run',
          run: (s) =>
            extendRun
              ? extendRunImage(session, analyzedBefore, owner, extendBase, s).then(retire)
              : Promise.resolve(undefined),
        },
      ],
      { signal, onEvent: extenderEvents },
    ).catch(rootCause);
    const runExtended = results['extend-run'] as ExtendResult | undefined;
    if (runExtended?.layout) {
      await writeAnalyzed(session, withExtend(await readAnalyzed(session, signal), true), signal);
    }
    // No buildpack phase is left: the buildpacks host stops while the exporter runs (the archive
    // calls after it wait for that).
    session.buildpackPhasesDone();
    await exporter.start().catch(async (err: unknown) => {
      // The lifecycle's layer-reuse bug (docs/build-flow.md, "Known issue: invalid diffID"): a
      // daemon export that reuses layers of the previous image on top of changed layers sends
      // one layer's data for all of them. Exported again without the previous image, every
      // layer is sent from /layers and the launch cache; the next build reuses safely again.
      if (!daemon || options.exportRetry === false || !isReuseDiffIdError(err)) throw err;
      emit({ type: 'export-retry', image: options.image, reason: (err as Error).message });
      await writeAnalyzed(
        session,
        withoutPreviousImage(await readAnalyzed(session, signal)),
        signal,
      );
      await session.runPhase('exporter', exportArgs, { ...exportOptions, attempt: 'again' });
    });
    // The exporter's report names the pushed manifest's digest (pack prints it too).
    const digest = publish ? await reportedDigest(session, signal) : undefined;
    if (options.reportOutputDir) {
      await copyOutTo(session, '/layers/report.toml', options.reportOutputDir, signal);
    }
    if (options.sbomOutputDir) {
      await copyOutTo(session, '/layers/sbom', options.sbomOutputDir, signal);
    }
    const summary = await summarizeBuild(client, {
      image: options.image,
      publish,
      platformApi,
      extensions: order,
      buildExtended: results['extend-build'] as ExtendResult | undefined,
      runExtended,
      durationMs: Math.round(performance.now() - started),
      ...(digest ? { digest } : {}),
      ...(options.tags?.length ? { tags: options.tags } : {}),
    });
    succeeded = true;
    return summary;
  } finally {
    await session.dispose();
    // After the containers are gone: the extended images are free to go unless cached.
    await images.close();
    if (!succeeded) await forgetCaches(client, newCaches, emit);
    await rm(tmp, { recursive: true, force: true });
  }
}

/** What can be told wrong before the daemon is asked anything. */
function checkOptions(options: BuildOptions, network: string): void {
  if (network !== 'none' && network !== 'host') {
    throw new BuildAppError(
      'ERR_INVALID_OPTION',
      `network "${network}": the build runs with network none or host`,
    );
  }
  checkImageReferences([
    ['image', options.image],
    ['builder', options.builder],
    ['runImage', options.runImage],
    ['cacheImage', options.cacheImage],
    ['lifecycleImage', options.lifecycleImage],
    ['previousImage', options.previousImage],
    ...(options.tags ?? []).map((t): [string, string] => ['tags', t]),
  ]);
  for (const v of options.volumes ?? []) {
    if (!v.target.startsWith('/')) {
      throw new BuildAppError(
        'ERR_INVALID_OPTION',
        `volume ${v.source}:${v.target}: the target must be an absolute path`,
      );
    }
  }
}

/**
 * Checks each `[where, reference]` (undefined ones are skipped): throws ERR_INVALID_REFERENCE
 * naming `where` and what is wrong with the reference.
 */
export function checkImageReferences(refs: Array<[string, string | undefined]>): void {
  for (const [where, ref] of refs) {
    if (ref === undefined) continue;
    try {
      parseImageReference(ref);
    } catch (err) {
      if (!(err instanceof InvalidReferenceError)) throw err;
      throw new BuildAppError('ERR_INVALID_REFERENCE', `${where}: ${err.message}`, { cause: err });
    }
  }
}

/** `[image] digest` of the exporter's report.toml, when it wrote one. */
async function reportedDigest(
  session: LifecycleSession,
  signal: AbortSignal,
): Promise<string | undefined> {
  const text = await session.readFile('/layers/report.toml', signal);
  if (!text) return undefined;
  const image = parseToml(text, 'report.toml').image as { digest?: unknown } | undefined;
  return typeof image?.digest === 'string' ? image.digest : undefined;
}

/** Copies `path` of the session into the local folder `dir` (made when missing). */
async function copyOutTo(
  session: LifecycleSession,
  path: string,
  dir: string,
  signal: AbortSignal,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (!(await session.copyOut(path, dir, signal))) {
    throw new BuildAppError('ERR_NO_OUTPUT', `the build wrote no ${path} to copy into ${dir}`);
  }
}

/** A schedule's failure is reported as its root cause, not as the schedule's. */
function rootCause(err: unknown): never {
  throw err instanceof ScheduleError ? err.rootCause : err;
}

async function readLocal(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Where imgext puts the builder's run.toml for the exporter (`-run`). */
const RUN_TOML = '/layers/run.toml';
/** The analyzed.toml of a detector run beside the analyzer (see buildLocked). */
const DETECT_ANALYZED = '/layers/imgext-detect-analyzed.toml';

/** `promise`, or the signal's reason once it is aborted (the promise itself goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
