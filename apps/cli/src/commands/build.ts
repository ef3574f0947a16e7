/**
 * `imgext build <image> --builder NAME`: the whole buildpacks build with extensions, against the
 * real lifecycle. analyze -> detect -> restore -> (extend build -> build) || (extend run) -> export.
 * The lifecycle phases run in containers (@imgext/lifecycle); extension Dockerfiles are applied
 * by the daemon's build API (@imgext/extender). Flag names follow pack's.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineClient, type ImageInspect, NotFoundError } from '@imgext/engine-client';
import {
  type ExtenderEvent,
  type ExtendResult,
  ensureImage,
  extend,
  type PullPolicy,
  runSchedule,
  ScheduleError,
  tarPackSink,
} from '@imgext/extender';
import {
  analyzerArgs,
  builderArgs,
  daemonSocketFor,
  detectorArgs,
  exporterArgs,
  type LifecycleEvent,
  LifecycleSession,
  type Owner,
  PATHS,
  restorerArgs,
} from '@imgext/lifecycle';
import {
  type Analyzed,
  type BuilderMetadata,
  LIFECYCLE_METADATA_LABEL,
  negotiatePlatformApi,
  parseAnalyzed,
  parseBuilderMetadata,
  parseGroup,
  REBASABLE_LABEL,
  serializeAnalyzed,
} from '@imgext/metadata';
import type { CommandContext, CommandDefinition, GlobalArgs, Output } from '../command.js';
import { UsageError } from '../errors.js';

export interface BuildArgs {
  image: string;
  builder: string;
  path?: string;
  runImage?: string;
  env: string[];
  envFile?: string;
  publish: boolean;
  pullPolicy: PullPolicy;
  cacheImage?: string;
  clearCache: boolean;
  network: string;
  trustBuilder: boolean;
  lifecycleImage?: string;
  dockerHost?: string;
  timestamps: boolean;
}

/** A build that cannot start or finish, with a stable code (exit code 1). */
export class BuildCommandError extends Error {
  override name = 'BuildCommandError';
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint;
  }
}

/** Where the layout of the extended run image goes in /layers (any one folder under extended/run). */
const RUN_LAYOUT_PREFIX = 'extended/run/imgext/';

export const buildCommand: CommandDefinition<BuildArgs> = {
  command: 'build <image>',
  describe: 'Build an app image with a CNB builder, applying its image extensions with the daemon',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true, describe: 'The image to build' })
      .option('builder', {
        alias: 'B',
        type: 'string',
        demandOption: true,
        describe: 'Builder image',
      })
      .option('path', {
        alias: 'p',
        type: 'string',
        describe: 'App folder (default: current folder)',
      })
      .option('run-image', { type: 'string', describe: "Run image (default: the builder's)" })
      .option('env', {
        alias: 'e',
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'Build-time env K=V (or K, taken from the environment); repeatable',
      })
      .option('env-file', { type: 'string', describe: 'File of K=V lines for the build env' })
      .option('publish', { type: 'boolean', default: false, describe: 'Export to a registry' })
      .option('pull-policy', {
        choices: ['always', 'if-not-present', 'never'] as const,
        default: 'if-not-present' as const,
        describe: 'When to pull the builder and run images',
      })
      .option('cache-image', {
        type: 'string',
        describe: 'Cache in this registry image (with --publish)',
      })
      .option('clear-cache', {
        type: 'boolean',
        default: false,
        describe: 'Start from an empty build cache',
      })
      .option('network', {
        type: 'string',
        default: 'none',
        describe: 'Network of the phase containers and extension builds (none or host)',
      })
      .option('trust-builder', {
        type: 'boolean',
        default: false,
        describe: 'Let the builder run the phases that get the daemon socket',
      })
      .option('lifecycle-image', {
        type: 'string',
        describe: 'Image for the phases that get the daemon socket (analyzer, restorer, exporter)',
      })
      .option('docker-host', {
        type: 'string',
        describe:
          "The daemon's socket path on its own host, for the phases (default: see docs/cli.md)",
      })
      .option('timestamps', {
        type: 'boolean',
        default: false,
        describe: 'Timestamps on log lines',
      })
      .check((a) => {
        if (a.cacheImage && !a.publish) throw new UsageError('--cache-image needs --publish');
        return true;
      }) as never,
  handler: async (args, ctx) => {
    const appDir = resolve(ctx.cwd, args.path ?? '.');
    const platformEnv = await readPlatformEnv(args, ctx);
    const client = await EngineClient.connect({ env: ctx.env });
    try {
      await runBuild(client, { ...args, appDir, platformEnv }, ctx);
      return 0;
    } finally {
      await client.close();
    }
  },
};

interface BuildPlan extends BuildArgs, GlobalArgs {
  appDir: string;
  platformEnv: Record<string, string>;
}

/** The build itself; resolves when the image exists, throws (after cleaning up) otherwise. */
export async function runBuild(
  client: EngineClient,
  plan: BuildPlan,
  ctx: CommandContext,
): Promise<void> {
  const { output, signal } = ctx;
  const started = performance.now();
  const builder = await findBuilder(client, plan.builder, plan.pullPolicy, signal);
  const md = builderMetadata(builder, plan.builder);
  const platformApi = negotiatePlatformApi(md.platformApis);
  const owner = cnbUser(builder, plan.builder);
  const daemon = !plan.publish;
  output.event({
    type: 'build.start',
    message: `building ${plan.image} with ${plan.builder} (lifecycle ${md.lifecycleVersion ?? '?'}, platform API ${platformApi})`,
    data: { image: plan.image, builder: plan.builder, platformApi, lifecycle: md.lifecycleVersion },
  });
  if (!plan.trustBuilder && !plan.lifecycleImage) {
    output.warn(
      'the builder is not trusted and no --lifecycle-image was given: the daemon-access phases run in the builder',
    );
  }
  const caches = cacheVolumes(plan.image);
  if (plan.clearCache) await removeVolume(client, caches.build);
  const session = await LifecycleSession.create(
    {
      client,
      builderImage: builder.Id,
      ...(plan.lifecycleImage ? { lifecycleImage: plan.lifecycleImage } : {}),
      platformApi,
      owner,
      daemonSocket: daemonSocketFor(
        client.endpoint,
        plan.dockerHost ?? ctx.env.IMGEXT_DAEMON_SOCKET,
      ),
      network: plan.publish ? 'host' : plan.network,
      extensions: md.extensions.length > 0,
      ...(plan.cacheImage ? {} : { cacheVolume: caches.build }),
      ...(daemon ? { launchCacheVolume: caches.launch } : {}),
      labels: { 'io.imgext.build': plan.image },
      onEvent: (e) => renderLifecycleEvent(output, e),
    },
    signal,
  );
  const tmp = await mkdtemp(join(tmpdir(), 'imgext-build-'));
  try {
    const logLevel = plan.verbose ? ('debug' as const) : undefined;
    const common = logLevel ? { logLevel } : {};
    const registryEnv = plan.publish
      ? await registryAuthEnv(client, [plan.image, plan.cacheImage])
      : {};
    // Given explicitly, as pack does: a --lifecycle-image has no /cnb/run.toml to read it from.
    const runImage = plan.runImage ?? md.runImages[0]?.image;
    if (runImage && daemon) await ensureImage(client, runImage, plan.pullPolicy, { signal });
    await session.putApp(plan.appDir, signal);
    await session.putPlatformEnv(plan.platformEnv, signal);

    await session.runPhase(
      'analyzer',
      analyzerArgs({
        ...common,
        image: plan.image,
        ...owner,
        daemon,
        launchCache: daemon,
        ...(runImage ? { runImage } : {}),
      }),
      { env: registryEnv, signal },
    );
    const analyzedBefore = await readAnalyzed(session, signal);
    await session.runPhase('detector', detectorArgs(common), { signal });
    const group = parseGroup((await session.readFile('/layers/group.toml', signal)) ?? '');
    const order = group.extensions.map((e) => e.id);
    const hasGenerated =
      order.length > 0 && (await session.copyOut('/layers/generated', tmp, signal));
    const generatedDir = join(tmp, 'generated');
    const analyzed = await readAnalyzed(session, signal);
    const extendRun = analyzed.runImage?.extend === true;
    const switchedTo =
      analyzed.runImage?.image !== analyzedBefore.runImage?.image
        ? analyzed.runImage?.image
        : undefined;
    if (order.length > 0) {
      output.event({
        type: 'extensions.detected',
        message: `extensions: ${order.join(', ')}`,
        data: { extensions: order, extendRun, switchedTo },
      });
    }
    if (extendRun && !daemon) {
      throw new BuildCommandError(
        'ERR_UNSUPPORTED',
        'run-image extension with --publish is not supported yet: build to the daemon, then push',
      );
    }
    if (switchedTo && daemon) await ensureImage(client, switchedTo, plan.pullPolicy, { signal });
    // The restorer must not see extend = true: it would try a registry pull of the run image into
    // /kaniko. The run image's layout is written after it, and extend set back before export.
    if (extendRun) await writeAnalyzed(session, withExtend(analyzed, false), signal);
    await session.runPhase(
      'restorer',
      restorerArgs({
        ...common,
        ...owner,
        platformApi,
        daemon,
        cache: !plan.cacheImage,
        ...cacheImageOf(plan),
      }),
      { env: registryEnv, signal },
    );

    const extensionEvents = (e: ExtenderEvent) => renderExtenderEvent(output, e);
    const extendBase = {
      engine: client,
      generatedDir,
      platformApi,
      order,
      appDir: plan.appDir,
      pullPolicy: plan.pullPolicy,
      networkMode: plan.network,
      onEvent: extensionEvents,
    };
    const results = await runSchedule(
      [
        {
          id: 'extend-build',
          run: (s) =>
            hasGenerated
              ? extend({ ...extendBase, kind: 'build', baseImage: builder.Id, signal: s })
              : Promise.resolve(undefined),
        },
        {
          id: 'build',
          after: ['extend-build'],
          run: (s, deps) => {
            const extended = deps['extend-build'] as ExtendResult | undefined;
            const image = extended && extended.applied.length > 0 ? extended.imageId : builder.Id;
            return session.runPhase('builder', builderArgs(common), { image, signal: s });
          },
        },
        {
          id: 'extend-run',
          run: (s) =>
            extendRun
              ? extendRunImage(session, analyzedBefore, owner, extendBase, s)
              : Promise.resolve(undefined),
        },
      ],
      { signal, onEvent: extensionEvents },
    ).catch((err: unknown) => {
      throw err instanceof ScheduleError ? err.rootCause : err;
    });
    const runExtended = results['extend-run'] as ExtendResult | undefined;
    if (runExtended?.layout) {
      await writeAnalyzed(session, withExtend(await readAnalyzed(session, signal), true), signal);
    }
    await session.runPhase(
      'exporter',
      exporterArgs({
        ...common,
        image: plan.image,
        ...owner,
        daemon,
        cache: !plan.cacheImage,
        launchCache: daemon,
        ...cacheImageOf(plan),
      }),
      { env: registryEnv, signal },
    );
    const summary = await summarize(client, plan, {
      platformApi,
      extensions: order,
      runExtended,
      buildExtended: results['extend-build'] as ExtendResult | undefined,
      durationMs: Math.round(performance.now() - started),
    });
    output.result(
      summary,
      `Successfully built image ${plan.image}${summary.imageId ? ` (${summary.imageId})` : ''}`,
    );
  } finally {
    await session.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The run branch: applies the run Dockerfiles and streams the layout into the layers volume. */
async function extendRunImage(
  session: LifecycleSession,
  analyzedBefore: Analyzed,
  owner: Owner,
  base: Omit<Parameters<typeof extend>[0], 'kind' | 'baseImage'>,
  signal: AbortSignal,
): Promise<ExtendResult> {
  const baseImage = analyzedBefore.runImage?.reference ?? analyzedBefore.runImage?.image;
  if (!baseImage)
    throw new BuildCommandError('ERR_NO_RUN_IMAGE', 'the analyzer recorded no run image');
  const upload = session.openUpload(PATHS.layers, signal);
  try {
    const result = await extend({
      ...base,
      kind: 'run',
      baseImage,
      layout: tarPackSink(upload.pack, { prefix: RUN_LAYOUT_PREFIX, ...owner }),
      signal,
    });
    upload.pack.finalize();
    await upload.done;
    return result;
  } catch (err) {
    upload.pack.destroy(err instanceof Error ? err : new Error(String(err)));
    await upload.done.catch(() => undefined);
    throw err;
  }
}

async function readAnalyzed(session: LifecycleSession, signal: AbortSignal): Promise<Analyzed> {
  const text = await session.readFile('/layers/analyzed.toml', signal);
  if (text === undefined)
    throw new BuildCommandError('ERR_NO_ANALYZED', 'the analyzer wrote no analyzed.toml');
  return parseAnalyzed(text);
}

function writeAnalyzed(
  session: LifecycleSession,
  analyzed: Analyzed,
  signal: AbortSignal,
): Promise<void> {
  return session.putFile('/layers/analyzed.toml', serializeAnalyzed(analyzed), signal);
}

function withExtend(analyzed: Analyzed, extend: boolean): Analyzed {
  return { ...analyzed, runImage: { ...analyzed.runImage, extend } };
}

function cacheImageOf(plan: BuildPlan): { cacheImage?: string } {
  return plan.cacheImage ? { cacheImage: plan.cacheImage } : {};
}

/** Cache volumes are named after the image, so a rebuild of the same image reuses them. */
export function cacheVolumes(image: string): { build: string; launch: string } {
  const hash = createHash('sha256').update(image).digest('hex').slice(0, 16);
  return { build: `imgext-cache-${hash}-build`, launch: `imgext-cache-${hash}-launch` };
}

async function removeVolume(client: EngineClient, name: string): Promise<void> {
  await client.volumes.remove(name, { force: true }).catch((err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  });
}

async function findBuilder(
  client: EngineClient,
  ref: string,
  policy: PullPolicy,
  signal: AbortSignal,
): Promise<ImageInspect> {
  const found = policy === 'always' ? undefined : await client.images.find(ref, { signal });
  if (found) return found;
  if (policy !== 'never') {
    try {
      await client.images.pull(ref, { signal });
      const pulled = await client.images.find(ref, { signal });
      if (pulled) return pulled;
    } catch (err) {
      if (signal.aborted) throw err;
      throw new BuildCommandError(
        'ERR_BUILDER_NOT_FOUND',
        `builder ${ref} is not in the daemon and could not be pulled`,
        {
          cause: err,
          hint: err instanceof Error ? err.message : undefined,
        },
      );
    }
  }
  throw new BuildCommandError(
    'ERR_BUILDER_NOT_FOUND',
    `builder ${ref} is not in the daemon (pull policy ${policy})`,
  );
}

function builderMetadata(builder: ImageInspect, ref: string): BuilderMetadata {
  try {
    const md = parseBuilderMetadata(builder.Config?.Labels);
    if (md.platformApis.length === 0) throw new Error('no platform APIs in its metadata');
    return md;
  } catch (err) {
    throw new BuildCommandError(
      'ERR_NOT_A_BUILDER',
      `${ref} is not a CNB builder: ${(err as Error).message}`,
      {
        cause: err,
        hint: 'a builder carries the io.buildpacks.builder.metadata label (pack builder create makes one)',
      },
    );
  }
}

/** The CNB user from the builder's CNB_USER_ID / CNB_GROUP_ID. */
function cnbUser(builder: ImageInspect, ref: string): Owner {
  const env = new Map(
    (builder.Config?.Env ?? []).map((kv) => [
      kv.slice(0, kv.indexOf('=')),
      kv.slice(kv.indexOf('=') + 1),
    ]),
  );
  const uid = Number(env.get('CNB_USER_ID'));
  const gid = Number(env.get('CNB_GROUP_ID'));
  if (
    !Number.isInteger(uid) ||
    !Number.isInteger(gid) ||
    !env.has('CNB_USER_ID') ||
    !env.has('CNB_GROUP_ID')
  ) {
    throw new BuildCommandError(
      'ERR_NOT_A_BUILDER',
      `${ref} is not a CNB builder: CNB_USER_ID/CNB_GROUP_ID are not set`,
    );
  }
  return { uid, gid };
}

/** Registry credentials for the lifecycle (CNB_REGISTRY_AUTH), from the docker config. */
async function registryAuthEnv(
  client: EngineClient,
  refs: Array<string | undefined>,
): Promise<Record<string, string>> {
  const auth: Record<string, string> = {};
  for (const ref of refs) {
    if (!ref) continue;
    const cred = await client.authFor(ref);
    if (!cred) continue;
    const registry = cred.serveraddress ?? ref.split('/')[0]!;
    if (cred.registrytoken) auth[registry] = `Bearer ${cred.registrytoken}`;
    else if (cred.username && cred.password) {
      auth[registry] =
        `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
  }
  return Object.keys(auth).length ? { CNB_REGISTRY_AUTH: JSON.stringify(auth) } : {};
}

/** --env K=V / K (from the environment) and --env-file lines, as pack reads them. */
async function readPlatformEnv(
  args: BuildArgs,
  ctx: CommandContext,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const add = (entry: string, where: string) => {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new UsageError(`invalid env name "${key}" in ${where}`);
    const value = eq < 0 ? ctx.env[key] : entry.slice(eq + 1);
    if (value !== undefined) env[key] = value;
  };
  if (args.envFile) {
    let text: string;
    try {
      text = await readFile(resolve(ctx.cwd, args.envFile), 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --env-file ${args.envFile}: ${(err as Error).message}`);
    }
    for (const line of text.split(/\r?\n/)) {
      const t = line.trim();
      if (t && !t.startsWith('#')) add(t, args.envFile);
    }
  }
  for (const e of args.env) add(e, '--env');
  return env;
}

export interface BuildSummary {
  type: 'result';
  image: string;
  imageId?: string;
  platformApi: string;
  extensions: string[];
  buildImage?: { imageId: string; applied: string[] };
  runImage?: { reference?: string; topLayer?: string; applied: string[]; rebasable?: string };
  durationMs: number;
}

async function summarize(
  client: EngineClient,
  plan: BuildPlan,
  o: {
    platformApi: string;
    extensions: string[];
    runExtended: ExtendResult | undefined;
    buildExtended: ExtendResult | undefined;
    durationMs: number;
  },
): Promise<BuildSummary> {
  const summary: BuildSummary = {
    type: 'result',
    image: plan.image,
    platformApi: o.platformApi,
    extensions: o.extensions,
    durationMs: o.durationMs,
  };
  if (o.buildExtended?.applied.length) {
    summary.buildImage = {
      imageId: o.buildExtended.imageId,
      applied: o.buildExtended.applied.map((a) => a.extension),
    };
  }
  if (plan.publish) return summary;
  const image = await client.images.inspect(plan.image);
  summary.imageId = image.Id;
  const labels = image.Config?.Labels ?? {};
  const md = labels[LIFECYCLE_METADATA_LABEL]
    ? (JSON.parse(labels[LIFECYCLE_METADATA_LABEL]) as LifecycleMd)
    : {};
  summary.runImage = {
    ...(md.runImage?.reference ? { reference: md.runImage.reference } : {}),
    ...(md.runImage?.topLayer ? { topLayer: md.runImage.topLayer } : {}),
    applied: o.runExtended?.applied.map((a) => a.extension) ?? [],
    ...(labels[REBASABLE_LABEL] ? { rebasable: labels[REBASABLE_LABEL] } : {}),
  };
  return summary;
}

interface LifecycleMd {
  runImage?: { reference?: string; topLayer?: string };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function renderLifecycleEvent(output: Output, e: LifecycleEvent): void {
  switch (e.type) {
    case 'phase-start':
      output.event({
        type: 'phase.start',
        message: `===> ${e.phase.toUpperCase()}`,
        data: { phase: e.phase, image: e.image, user: e.user },
      });
      break;
    case 'phase-log':
      output.log(e.phase, e.line);
      break;
    case 'phase-end':
      output.event({
        type: 'phase.end',
        message: `${e.phase} finished in ${seconds(e.durationMs)} (exit code ${e.exitCode})`,
        data: { phase: e.phase, exitCode: e.exitCode, durationMs: e.durationMs },
      });
      break;
    case 'cleanup-failed':
      output.warn(`could not remove ${e.kind} ${e.name}: ${e.message}`, {
        kind: e.kind,
        name: e.name,
      });
      break;
    case 'resource':
      break;
  }
}

const BRANCHES: Record<string, string> = {
  'extend-build': 'build branch: extending the build image',
  build: 'build branch: running the buildpacks',
  'extend-run': 'run branch: extending the run image',
};

function renderExtenderEvent(output: Output, e: ExtenderEvent): void {
  switch (e.type) {
    case 'extension.start':
      output.event({
        type: 'extension.start',
        message: `applying ${e.kind}.Dockerfile of ${e.extension}`,
        data: { kind: e.kind, extension: e.extension },
      });
      break;
    case 'extension.output':
      output.log(`extend ${e.kind}`, e.text);
      break;
    case 'extension.applied':
      output.event({
        type: 'extension.applied',
        message: `${e.extension} extended the ${e.kind} image (${e.steps} steps, ${e.cacheHits} cached)`,
        data: {
          kind: e.kind,
          extension: e.extension,
          imageId: e.imageId,
          steps: e.steps,
          cacheHits: e.cacheHits,
        },
      });
      break;
    case 'warning':
      output.warn(e.message, { ...(e.extension ? { extension: e.extension } : {}) });
      break;
    case 'run-image.switch':
      output.event({
        type: 'run-image.switch',
        message: `run image switched to ${e.to}`,
        data: { from: e.from, to: e.to },
      });
      break;
    case 'run-image.pull':
      output.event({
        type: 'run-image.pull',
        message: `pulling ${e.image}`,
        data: { image: e.image },
      });
      break;
    case 'layout.done':
      output.event({
        type: 'layout.done',
        message: `run image layout written (${e.layers} layers, ${e.bytes} bytes)`,
        data: { layers: e.layers, bytes: e.bytes },
      });
      break;
    case 'task.start':
      if (BRANCHES[e.task])
        output.event({ type: 'branch.start', message: BRANCHES[e.task]!, data: { task: e.task } });
      break;
    case 'task.done':
      if (BRANCHES[e.task])
        output.event({
          type: 'branch.done',
          message: `${BRANCHES[e.task]}: done`,
          data: { task: e.task },
        });
      break;
    default:
      break;
  }
}
