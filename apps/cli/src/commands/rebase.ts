/**
 * `imgext rebase <image>`: puts an app image on a new run image with the lifecycle's rebaser
 * (in a lifecycle image), keeping the app and extension layers; refuses an image marked
 * io.buildpacks.rebasable=false, naming the extensions responsible, unless --force.
 */
import { BuildAppError, type RebaseEvent, rebaseImage } from '@imgext/build';
import { EngineClient } from '@imgext/engine-client';
import type { PullPolicy } from '@imgext/extender';
import type { CommandDefinition, Output } from '../command.js';
import { engineOptions } from '../engine-options.js';
import { UsageError } from '../errors.js';

export interface RebaseArgs {
  image: string;
  runImage?: string;
  publish: boolean;
  force: boolean;
  previousImage?: string;
  pullPolicy: PullPolicy;
  lifecycleImage?: string;
  dockerHost?: string;
}

export const rebaseCommand: CommandDefinition<RebaseArgs> = {
  command: 'rebase <image>',
  describe: 'Put an app image on a new run image, keeping its app and extension layers',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true, describe: 'The app image' })
      .option('run-image', {
        type: 'string',
        describe: 'The new run image (default: the run image the app image records)',
      })
      .option('publish', {
        type: 'boolean',
        default: false,
        describe: 'Rebase in the registry instead of the daemon',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'Rebase though the image is not marked rebasable',
      })
      .option('previous-image', {
        type: 'string',
        describe: 'Rebase this image and write the result as <image>',
      })
      .option('pull-policy', {
        choices: ['always', 'if-not-present', 'never'] as const,
        default: 'if-not-present' as const,
        describe: 'When to pull the run image and the lifecycle image',
      })
      .option('lifecycle-image', {
        type: 'string',
        describe:
          "With --publish: the lifecycle rebaser's image (default: buildpacksio/lifecycle:<the image's lifecycle version>)",
      })
      .option('docker-host', {
        type: 'string',
        describe: "The daemon's socket path on its own host, for the rebaser",
      }) as never,
  handler: async (args, ctx) => {
    const daemonSocket = args.dockerHost ?? ctx.env.IMGEXT_DAEMON_SOCKET;
    const client = await EngineClient.connect(engineOptions(args, ctx));
    try {
      const summary = await rebaseImage(
        client,
        {
          image: args.image,
          ...(args.previousImage ? { previousImage: args.previousImage } : {}),
          ...(args.runImage ? { runImage: args.runImage } : {}),
          publish: args.publish,
          force: args.force,
          pullPolicy: args.pullPolicy,
          ...(args.lifecycleImage ? { lifecycleImage: args.lifecycleImage } : {}),
          ...(daemonSocket ? { daemonSocket } : {}),
          ...(args.verbose ? { logLevel: 'debug' as const } : {}),
        },
        { signal: ctx.signal, onEvent: (e) => renderRebaseEvent(ctx.output, e) },
      ).catch((err: unknown) => {
        // A --lifecycle-image that is not a lifecycle image: a usage error (exit 2), its code kept.
        if (err instanceof BuildAppError && err.code === 'ERR_NOT_A_LIFECYCLE_IMAGE') {
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
        `Rebased ${summary.image} on ${summary.runImage.image ?? '?'} (top layer ${summary.runImage.topLayer ?? '?'})${summary.digest ? `\n${summary.digest}` : ''}`,
      );
      return 0;
    } finally {
      await client.close();
    }
  },
};

function renderRebaseEvent(output: Output, e: RebaseEvent): void {
  switch (e.type) {
    case 'rebase-start':
      output.event({
        type: 'rebase.start',
        message: `rebasing ${e.from} on ${e.runImage ?? 'its run image'}${e.lifecycleImage ? ` with the lifecycle's rebaser in ${e.lifecycleImage}` : ' in the daemon'}${e.forced ? ' (forced: not marked rebasable)' : ''}`,
        data: {
          image: e.image,
          from: e.from,
          runImage: e.runImage,
          lifecycleImage: e.lifecycleImage,
          forced: e.forced,
        },
      });
      break;
    case 'lifecycle':
      if (e.event.type === 'phase-log') output.log(e.event.phase, e.event.line);
      else if (e.event.type === 'phase-start')
        output.event({
          type: 'phase.start',
          message: `===> ${e.event.phase.toUpperCase()}`,
          data: { phase: e.event.phase, image: e.event.image, user: e.event.user },
        });
      else if (e.event.type === 'cleanup-failed')
        output.warn(`could not remove ${e.event.kind} ${e.event.name}: ${e.event.message}`);
      break;
  }
}
