/**
 * `imgext build <image> --builder NAME`: the whole buildpacks build with extensions, against the
 * real lifecycle. The build is `buildApp` of @imgext/build; this command turns flags into its
 * options and renders its events. Flag names follow pack's.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  BuildAppError,
  type BuildBranch,
  type BuildEvent,
  buildApp,
  checkImageReferences,
  envFileEntries,
  isLocalModulePath,
  LOCAL_MODULE_ERRORS,
  localModulePath,
  type ModuleRef,
  type PlatformEnvSource,
  platformEnv,
} from '@imgext/build';
import { EngineClient } from '@imgext/engine-client';
import type { PullPolicy } from '@imgext/extender';
import type { LifecycleEvent } from '@imgext/lifecycle';
import {
  MetadataError,
  type ProjectBuildpack,
  type ProjectDescriptor,
  parseProjectDescriptor,
} from '@imgext/metadata';
import type { CommandContext, CommandDefinition, Output } from '../command.js';
import { isTrustedBuilder, readConfig } from '../config.js';
import { engineOptions } from '../engine-options.js';
import { UsageError } from '../errors.js';
import { extenderChoice, extenderOption } from '../extender-option.js';
import { renderExtenderEvent } from '../render/extender-events.js';
import { dockerHostSocket, parseCreationTime, parseVolume } from './build-flag-values.js';

export type { BuildSummary } from '@imgext/build';

export interface BuildArgs {
  image: string;
  extender?: string;
  builder?: string;
  descriptor?: string;
  path?: string;
  runImage?: string;
  env: string[];
  envFile: string[];
  tag: string[];
  defaultProcess?: string;
  volume: string[];
  previousImage?: string;
  creationTime?: string;
  uid?: number;
  gid?: number;
  sbomOutputDir?: string;
  reportOutputDir?: string;
  insecureRegistry: string[];
  buildpack: string[];
  extension: string[];
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

export const buildCommand: CommandDefinition<BuildArgs> = {
  command: 'build <image>',
  describe: 'Build an app image with a CNB builder, applying its image extensions with the daemon',
  builder: (y) =>
    extenderOption(y)
      .positional('image', { type: 'string', demandOption: true, describe: 'The image to build' })
      .option('builder', {
        alias: 'B',
        type: 'string',
        describe:
          "Builder image (default: project.toml's [io.buildpacks] builder, else the config file's default-builder)",
      })
      .option('descriptor', {
        alias: 'd',
        type: 'string',
        describe: 'Project descriptor (default: project.toml in the app folder, when there is one)',
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
      .option('env-file', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'File of K=V lines for the build env; repeatable (later files win)',
      })
      .option('tag', {
        alias: 't',
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'More names of the built image (pushed too with --publish); repeatable',
      })
      .option('default-process', {
        alias: 'D',
        type: 'string',
        describe: "The image's default process type",
      })
      .option('volume', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe:
          'Mount into the build phase: <host path>:<target path>[:ro|rw] (default ro); repeatable',
      })
      .option('previous-image', {
        type: 'string',
        describe: 'Reuse the layers of this image; the result is <image>',
      })
      .option('creation-time', {
        type: 'string',
        describe:
          'The image\'s creation time: "now" or seconds since the epoch (default: 1980-01-01, reproducible)',
      })
      .option('uid', {
        type: 'number',
        describe: "CNB user ID of the build (default: the builder's)",
      })
      .option('gid', {
        type: 'number',
        describe: "CNB group ID of the build (default: the builder's)",
      })
      .option('sbom-output-dir', {
        type: 'string',
        describe: "Copy the build's SBOM files (/layers/sbom) into this folder",
      })
      .option('report-output-dir', {
        type: 'string',
        describe: "Copy the exporter's report.toml into this folder",
      })
      .option('insecure-registry', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'A registry the lifecycle may reach over plain http; repeatable',
      })
      .option('buildpack', {
        alias: 'b',
        type: 'string',
        array: true,
        default: [] as string[],
        describe:
          "A buildpack to build with, instead of the builder's order: an id on the builder (id or id@version), or a local folder or .tgz/.tar of one; repeatable",
      })
      .option('extension', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe:
          "An extension, instead of the builder's order-extensions: an id on the builder (id or id@version), or a local folder or .tgz/.tar of one; repeatable",
      })
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
        choices: ['none', 'host'] as const,
        default: 'none' as const,
        describe: 'Network of the phase containers and extension builds (none or host)',
      })
      .option('trust-builder', {
        type: 'boolean',
        default: false,
        describe:
          "Let the builder's own lifecycle run the phases that get the daemon socket (default: a lifecycle image runs them)",
      })
      .option('lifecycle-image', {
        type: 'string',
        describe:
          "Image for the phases that get the daemon socket (analyzer, restorer, exporter); default buildpacksio/lifecycle:<the builder's lifecycle version>",
      })
      .option('docker-host', {
        type: 'string',
        describe:
          "The daemon address handed to the phases that get the daemon: its unix socket path on the daemon's host, or inherit (DOCKER_HOST); default: see docs/cli.md",
      })
      .option('timestamps', {
        type: 'boolean',
        default: false,
        describe: 'Timestamps on log lines',
      })
      .check((a) => {
        if (a.cacheImage && !a.publish) throw new UsageError('--cache-image needs --publish');
        for (const flag of ['uid', 'gid'] as const) {
          const id = a[flag];
          if (id !== undefined && !(Number.isInteger(id) && id >= 0)) {
            throw new UsageError(`--${flag} must be a whole number >= 0`);
          }
        }
        for (const [flag, given] of [
          ['--buildpack', a.buildpack],
          ['--extension', a.extension],
        ] as const) {
          for (const ref of given) {
            // pack also takes docker:// images, registry ids, URLs and packaged .cnb files.
            if (unsupportedModule(ref)) {
              throw new UsageError(
                `${flag} ${ref}: only ids on the builder (id or id@version) and local folders or .tgz/.tar archives are supported; images, registries, URLs and .cnb files are not yet`,
              );
            }
          }
        }
        return true;
      }) as never,
  handler: async (args, ctx) => {
    checkReferences(args);
    const appDir = await appFolder(resolve(ctx.cwd, args.path ?? '.'), args.path);
    const descriptor = await readDescriptor(args, ctx, appDir);
    const project = descriptor?.project;
    const config = await readConfig(ctx.env);
    const builder = args.builder ?? project?.builder ?? config.defaultBuilder;
    if (!builder) {
      throw new UsageError(
        `no builder: give --builder, set [io.buildpacks] builder in the project descriptor, or default-builder in the config file (${config.path})`,
      );
    }
    if (!args.builder) {
      const from = project?.builder
        ? "the project descriptor's [io.buildpacks] builder"
        : `default-builder of the config file ${config.path}`;
      checkBuilderReference(from, builder);
    }
    const env = await readPlatformEnv(args, ctx, project);
    const volumes = args.volume.map(parseVolume);
    const creationTime =
      args.creationTime !== undefined ? parseCreationTime(args.creationTime) : undefined;
    const daemonSocket = dockerHostSocket(args.dockerHost, ctx.env) ?? ctx.env.IMGEXT_DAEMON_SOCKET;
    const outDir = (dir: string | undefined) => (dir ? resolve(ctx.cwd, dir) : undefined);
    const reportOutputDir = outDir(args.reportOutputDir);
    const sbomOutputDir = outDir(args.sbomOutputDir);
    const extender = extenderChoice(args.extender, ctx.env);
    const flagModules = (flag: string, refs: string[]) =>
      refs.map((ref): ModuleRef => {
        const path = localModulePath(ref, ctx.cwd);
        // As pack: a path that exists is a local module, even without ./ in front.
        return isLocalModulePath(ref) || (!ref.startsWith('urn:') && existsSync(path))
          ? { path, given: `${flag} ${ref}` }
          : ref;
      });
    const buildpacks =
      args.buildpack.length > 0
        ? flagModules('--buildpack', args.buildpack)
        : descriptor
          ? descriptorModules(descriptor, 'buildpacks')
          : [];
    const extensions = flagModules('--extension', args.extension);
    const pre = descriptor ? descriptorModules(descriptor, 'pre') : [];
    const post = descriptor ? descriptorModules(descriptor, 'post') : [];
    const client = await EngineClient.connect(engineOptions(args, ctx));
    try {
      const summary = await buildApp(
        client,
        {
          image: args.image,
          builder,
          appDir,
          ...(project && (project.include.length > 0 || project.exclude.length > 0)
            ? { appFiles: { include: project.include, exclude: project.exclude } }
            : {}),
          ...(args.runImage ? { runImage: args.runImage } : {}),
          platformEnv: env,
          publish: args.publish,
          pullPolicy: args.pullPolicy,
          ...(args.cacheImage ? { cacheImage: args.cacheImage } : {}),
          clearCache: args.clearCache,
          network: args.network,
          extender: extender.choice,
          extenderSource: extender.source,
          trustBuilder: args.trustBuilder || isTrustedBuilder(config, builder),
          ...(args.lifecycleImage ? { lifecycleImage: args.lifecycleImage } : {}),
          ...(daemonSocket ? { daemonSocket } : {}),
          ...(args.verbose ? { logLevel: 'debug' as const } : {}),
          ...(args.tag.length > 0 ? { tags: args.tag } : {}),
          ...(args.defaultProcess ? { defaultProcess: args.defaultProcess } : {}),
          ...(volumes.length > 0 ? { volumes } : {}),
          ...(args.previousImage ? { previousImage: args.previousImage } : {}),
          ...(creationTime !== undefined ? { creationTime } : {}),
          ...(args.uid !== undefined ? { uid: args.uid } : {}),
          ...(args.gid !== undefined ? { gid: args.gid } : {}),
          ...(args.insecureRegistry.length > 0
            ? { insecureRegistries: args.insecureRegistry }
            : {}),
          ...(args.color && !args.json ? {} : { noColor: true }),
          ...(reportOutputDir ? { reportOutputDir } : {}),
          ...(sbomOutputDir ? { sbomOutputDir } : {}),
          ...(buildpacks.length > 0 ? { buildpacks } : {}),
          ...(extensions.length > 0 ? { extensions } : {}),
          ...(pre.length > 0 ? { preBuildpacks: pre } : {}),
          ...(post.length > 0 ? { postBuildpacks: post } : {}),
        },
        { signal: ctx.signal, onEvent: (e) => renderBuildEvent(ctx.output, e) },
      ).catch((err: unknown) => {
        // A local buildpack or extension the user gave that is not one, or a --lifecycle-image
        // that is not a lifecycle image: a usage error (exit 2) that keeps its stable code.
        // Checked before anything is created in the engine.
        if (
          err instanceof BuildAppError &&
          (LOCAL_MODULE_ERRORS.has(err.code) || err.code === 'ERR_NOT_A_LIFECYCLE_IMAGE')
        ) {
          throw new UsageError(err.message, {
            code: err.code,
            ...(err.hint ? { hint: err.hint } : {}),
            cause: err,
          });
        }
        throw err;
      });
      ctx.output.result(
        { type: 'result', ...summary },
        [
          `Successfully built image ${summary.image}${summary.imageId ? ` (${summary.imageId})` : ''}`,
          ...(summary.digest ? [`Pushed ${summary.image}@${summary.digest}`] : []),
          ...(summary.tags ?? []).map((t) => `Also tagged ${t}`),
        ].join('\n'),
      );
      return 0;
    } finally {
      await client.close();
    }
  },
};

/** Every image reference given, checked before the daemon is asked anything. */
function checkReferences(args: BuildArgs): void {
  try {
    checkImageReferences([
      ['the image to build', args.image],
      ['--builder', args.builder],
      ['--run-image', args.runImage],
      ['--cache-image', args.cacheImage],
      ['--lifecycle-image', args.lifecycleImage],
      ['--previous-image', args.previousImage],
      ...args.tag.map((t): [string, string] => ['--tag', t]),
    ]);
  } catch (err) {
    if (err instanceof BuildAppError) throw new UsageError(err.message);
    throw err;
  }
}

/** A builder not given by --builder, checked naming where it came from. */
function checkBuilderReference(from: string, builder: string): void {
  try {
    checkImageReferences([[from, builder]]);
  } catch (err) {
    if (err instanceof BuildAppError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * The project descriptor: `--descriptor` (relative to the current folder; it must exist), else
 * `project.toml` in the app folder when there is one (as pack).
 */
async function readDescriptor(
  args: BuildArgs,
  ctx: CommandContext,
  appDir: string,
): Promise<ReadDescriptor | undefined> {
  const path = args.descriptor ? resolve(ctx.cwd, args.descriptor) : join(appDir, 'project.toml');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!args.descriptor && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(
      `cannot read --descriptor ${args.descriptor ?? path}: ${(err as Error).message}`,
    );
  }
  try {
    return {
      project: parseProjectDescriptor(text, args.descriptor ?? path),
      path,
      name: args.descriptor ?? 'project.toml',
    };
  } catch (err) {
    if (err instanceof MetadataError) throw new UsageError(err.message);
    throw err;
  }
}

/** The app folder must exist and be a folder (pack's archive paths are not supported). */
async function appFolder(dir: string, given: string | undefined): Promise<string> {
  const what = given === undefined ? `the current folder (${dir})` : `--path ${given}`;
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new UsageError(`${what}: no such folder`);
    throw new UsageError(`${what}: cannot read it (${err.code ?? err.message})`);
  });
  if (!info.isDirectory()) {
    throw new UsageError(`${what} is not a folder: give the app's folder`);
  }
  return dir;
}

/** The project descriptor, where it was read from, and its name as given (for messages). */
interface ReadDescriptor {
  project: ProjectDescriptor;
  path: string;
  name: string;
}

/** A module reference imgext cannot use (yet): images, registry ids, URLs, packaged .cnb files. */
function unsupportedModule(ref: string): boolean {
  return /^(docker:\/\/|urn:cnb:registry:|https?:\/\/)/.test(ref) || /\.cnb$/i.test(ref);
}

/**
 * The descriptor's group (or pre / post group) as modules of the build: `uri` a local folder or
 * archive (relative to the descriptor's folder) or `urn:cnb:builder:id`, else `id` / `version` on
 * the builder. Inline buildpacks (`script`) and remote uris are usage errors.
 */
function descriptorModules(
  read: ReadDescriptor,
  which: 'buildpacks' | 'pre' | 'post',
): ModuleRef[] {
  const { project, name } = read;
  const table =
    project.schemaVersion === '0.1'
      ? 'build.buildpacks'
      : which === 'buildpacks'
        ? 'io.buildpacks.group'
        : `io.buildpacks.${which}.group`;
  return project[which].map((bp: ProjectBuildpack, i): ModuleRef => {
    const where = `${name} [[${table}]] #${i + 1}`;
    if (bp.script) {
      throw new UsageError(
        `${where}: inline buildpacks ([${table}.script]) are not supported; put the buildpack in a folder and give its uri`,
      );
    }
    if (bp.uri) {
      if (unsupportedModule(bp.uri)) {
        throw new UsageError(
          `${where}: uri ${bp.uri}: only local folders or .tgz/.tar archives and urn:cnb:builder: ids are supported; images, registries, URLs and .cnb files are not yet`,
        );
      }
      if (bp.uri.startsWith('urn:cnb:builder:')) {
        return bp.version ? `${bp.uri}@${bp.version}` : bp.uri;
      }
      return {
        path: localModulePath(bp.uri, dirname(read.path)),
        given: `${where} (uri ${bp.uri})`,
      };
    }
    if (!bp.id) throw new UsageError(`${where}: has neither id nor uri`);
    return bp.version ? `${bp.id}@${bp.version}` : bp.id;
  });
}

/**
 * The descriptor's build env, then --env-file lines, then --env K=V / K (from the environment):
 * later wins, as pack reads them.
 */
async function readPlatformEnv(
  args: BuildArgs,
  ctx: CommandContext,
  project?: ProjectDescriptor,
): Promise<Record<string, string>> {
  const sources: PlatformEnvSource[] = [];
  if (project && Object.keys(project.env).length > 0) {
    sources.push({
      entries: Object.entries(project.env).map(([k, v]) => `${k}=${v}`),
      where: 'the project descriptor',
    });
  }
  for (const file of args.envFile) {
    let text: string;
    try {
      text = await readFile(resolve(ctx.cwd, file), 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --env-file ${file}: ${(err as Error).message}`);
    }
    sources.push({ entries: envFileEntries(text), where: file });
  }
  sources.push({ entries: args.env, where: '--env' });
  try {
    return platformEnv(sources, ctx.env);
  } catch (err) {
    if (err instanceof BuildAppError && err.code === 'ERR_INVALID_ENV')
      throw new UsageError(err.message);
    throw err;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

const BRANCHES: Record<BuildBranch, string> = {
  'extend-build': 'build branch: extending the build image',
  build: 'build branch: running the buildpacks',
  'extend-run': 'run branch: extending the run image',
};

function renderBuildEvent(output: Output, e: BuildEvent): void {
  switch (e.type) {
    case 'build-start':
      output.event({
        type: 'build.start',
        message: `building ${e.image} with ${e.builder} (lifecycle ${e.lifecycleVersion ?? '?'}, platform API ${e.platformApi})`,
        data: {
          image: e.image,
          builder: e.builder,
          platformApi: e.platformApi,
          lifecycle: e.lifecycleVersion,
        },
      });
      break;
    case 'waiting-for-build':
      output.event({
        type: 'build.waiting',
        message: `waiting for another build of ${e.image} (${e.holder.host && e.holder.pid ? `process ${e.holder.pid} on ${e.holder.host}` : `lock ${e.holder.lock}`}${e.holder.since ? `, since ${e.holder.since}` : ''})`,
        data: { image: e.image, ...e.holder },
      });
      break;
    case 'waited-for-build':
      output.event({
        type: 'build.waited',
        message: `the other build of ${e.image} ended after ${(e.durationMs / 1000).toFixed(1)}s`,
        data: { image: e.image, durationMs: e.durationMs },
      });
      break;
    case 'export-retry':
      output.warn(
        `the exporter hit the lifecycle's layer-reuse bug (the daemon found a layer's data not matching its diff ID); exporting ${e.image} again without reusing layers of the previous image`,
        { image: e.image, reason: e.reason },
      );
      break;
    case 'stale-build-lock-removed':
      output.warn(
        `removed the lock ${e.holder.lock} of a build of ${e.image} that no longer runs${e.holder.pid ? ` (process ${e.holder.pid})` : ''}`,
        { image: e.image, lock: e.holder.lock },
      );
      break;
    case 'extender-chosen':
      output.event({
        type: 'extender.chosen',
        message: `extension Dockerfiles: ${e.builder === 'buildkit' ? 'BuildKit' : 'classic builder'} (${e.reason})`,
        data: { builder: e.builder, reason: e.reason },
      });
      break;
    case 'lifecycle-image':
      output.event({
        type: 'lifecycle.image',
        message: e.image
          ? `analyzer, restorer and exporter run in ${e.image}${e.source === 'default' ? ` (builder ${e.builder} is not trusted)` : ''}`
          : `builder ${e.builder} is trusted: its lifecycle runs every phase`,
        data: { builder: e.builder, image: e.image, source: e.source },
      });
      break;
    case 'extensions-detected':
      output.event({
        type: 'extensions.detected',
        message: `extensions: ${e.extensions.join(', ')}`,
        data: { extensions: e.extensions, extendRun: e.extendRun, switchedTo: e.switchedTo },
      });
      break;
    case 'branch-start':
      output.event({
        type: 'branch.start',
        message: BRANCHES[e.branch],
        data: { task: e.branch },
      });
      break;
    case 'branch-end':
      output.event({
        type: 'branch.done',
        message: `${BRANCHES[e.branch]}: done`,
        data: { task: e.branch },
      });
      break;
    case 'lifecycle':
      renderLifecycleEvent(output, e.event);
      break;
    case 'extender':
      renderExtenderEvent(output, e.event);
      break;
  }
}

function renderLifecycleEvent(output: Output, e: LifecycleEvent): void {
  switch (e.type) {
    case 'phase-start':
      output.event({
        type: 'phase.start',
        message: `===> ${e.phase.toUpperCase()}`,
        data: { phase: e.phase, image: e.image, user: e.user, args: e.args, env: e.env },
      });
      break;
    case 'phase-log':
      output.log(e.phase, e.line);
      break;
    case 'phase-end':
      output.event({
        type: 'phase.end',
        message: `${e.phase} finished in ${seconds(e.durationMs)} (exit code ${e.exitCode})`,
        data: {
          phase: e.phase,
          exitCode: e.exitCode,
          durationMs: e.durationMs,
          createMs: e.createMs,
          runMs: e.runMs,
        },
      });
      break;
    case 'phase-timing':
      output.event({
        type: 'phase.timing',
        message: `${e.phase}: ${e.processMs ?? '?'} ms in the lifecycle binary, container removed in ${e.removeMs} ms (off the critical path)`,
        data: {
          phase: e.phase,
          processMs: e.processMs,
          inspectMs: e.inspectMs,
          removeMs: e.removeMs,
        },
        detail: true,
      });
      break;
    case 'archive':
      output.event({
        type: 'archive',
        message: `${e.direction === 'in' ? 'copied into' : 'copied out of'} the session: ${e.path} (${e.durationMs} ms)`,
        data: { direction: e.direction, path: e.path, durationMs: e.durationMs },
        detail: true,
      });
      break;
    case 'cleanup-failed':
      output.warn(`could not remove ${e.kind} ${e.name}: ${e.message}`, {
        kind: e.kind,
        name: e.name,
      });
      break;
    case 'upload-start':
      output.event({
        type: 'upload.start',
        message: `uploading the app: ${count(e.totalFiles, 'file')}, ${megabytes(e.totalBytes)}${e.excluded > 0 ? ` (${count(e.excluded, 'path')} excluded by the project descriptor)` : ''}`,
        data: {
          target: e.target,
          totalFiles: e.totalFiles,
          totalBytes: e.totalBytes,
          excluded: e.excluded,
        },
      });
      break;
    case 'upload-progress':
      if (e.files === e.totalFiles && e.bytes === e.totalBytes && e.totalFiles < 1000) break;
      output.event({
        type: 'upload.progress',
        message: `uploading the app: ${e.files}/${e.totalFiles} files, ${megabytes(e.bytes)} of ${megabytes(e.totalBytes)}`,
        data: {
          target: e.target,
          files: e.files,
          bytes: e.bytes,
          totalFiles: e.totalFiles,
          totalBytes: e.totalBytes,
        },
      });
      break;
    case 'upload-end':
      output.event({
        type: 'upload.done',
        message: `uploaded the app in ${seconds(e.durationMs)}`,
        data: { target: e.target, files: e.files, bytes: e.bytes, durationMs: e.durationMs },
      });
      break;
    case 'resource':
      // What the build made in the engine and took away again (its session's containers and
      // volumes): for scripts that track them, and to tell a leftover's build.
      output.event({
        type: `resource.${e.action}`,
        message: `${e.action} ${e.kind} ${e.name}`,
        data: { kind: e.kind, name: e.name },
        detail: true,
      });
      break;
  }
}

function count(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
