/**
 * `imgext build <image> --builder NAME`: the whole buildpacks build with extensions, against the
 * real lifecycle. The build is `buildApp` of @imgext/build; this command turns flags into its
 * options and renders its events. Flag names follow pack's.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  BuildAppError,
  type BuildBranch,
  type BuildEvent,
  buildApp,
  envFileEntries,
  type PlatformEnvSource,
  platformEnv,
} from '@imgext/build';
import { EngineClient } from '@imgext/engine-client';
import type { PullPolicy } from '@imgext/extender';
import type { LifecycleEvent } from '@imgext/lifecycle';
import type { CommandContext, CommandDefinition, Output } from '../command.js';
import { isTrustedBuilder, readConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { renderExtenderEvent } from '../render/extender-events.js';

export type { BuildSummary } from '@imgext/build';

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
    const config = await readConfig(ctx.env);
    const env = await readPlatformEnv(args, ctx);
    const daemonSocket = args.dockerHost ?? ctx.env.IMGEXT_DAEMON_SOCKET;
    const client = await EngineClient.connect({ env: ctx.env });
    try {
      const summary = await buildApp(
        client,
        {
          image: args.image,
          builder: args.builder,
          appDir: resolve(ctx.cwd, args.path ?? '.'),
          ...(args.runImage ? { runImage: args.runImage } : {}),
          platformEnv: env,
          publish: args.publish,
          pullPolicy: args.pullPolicy,
          ...(args.cacheImage ? { cacheImage: args.cacheImage } : {}),
          clearCache: args.clearCache,
          network: args.network,
          trustBuilder: args.trustBuilder || isTrustedBuilder(config, args.builder),
          ...(args.lifecycleImage ? { lifecycleImage: args.lifecycleImage } : {}),
          ...(daemonSocket ? { daemonSocket } : {}),
          ...(args.verbose ? { logLevel: 'debug' as const } : {}),
        },
        { signal: ctx.signal, onEvent: (e) => renderBuildEvent(ctx.output, e) },
      );
      ctx.output.result(
        { type: 'result', ...summary },
        `Successfully built image ${summary.image}${summary.imageId ? ` (${summary.imageId})` : ''}`,
      );
      return 0;
    } finally {
      await client.close();
    }
  },
};

/** --env-file lines, then --env K=V / K (from the environment), as pack reads them. */
async function readPlatformEnv(
  args: BuildArgs,
  ctx: CommandContext,
): Promise<Record<string, string>> {
  const sources: PlatformEnvSource[] = [];
  if (args.envFile) {
    let text: string;
    try {
      text = await readFile(resolve(ctx.cwd, args.envFile), 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --env-file ${args.envFile}: ${(err as Error).message}`);
    }
    sources.push({ entries: envFileEntries(text), where: args.envFile });
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
