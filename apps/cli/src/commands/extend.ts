/** `imgext extend`: apply a generated folder to a base image on its own (debugging extensions). */
import { randomBytes } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import {
  chooseBuilder,
  directorySink,
  type ExtendResult,
  ExtendSession,
  extend,
  type PullPolicy,
} from '@imgext/extender';
import { parseGroup } from '@imgext/metadata';
import type { CommandDefinition } from '../command.js';
import { engineOptions } from '../engine-options.js';
import { UsageError } from '../errors.js';
import { EXTENDER_CHOICES, EXTENDER_ENV, extenderChoice } from '../extender-option.js';
import { renderExtenderEvent } from '../render/extender-events.js';

export interface ExtendArgs {
  extender?: string;
  kind: 'build' | 'run';
  generated: string;
  base: string;
  group?: string;
  app?: string;
  tag?: string;
  layout?: string;
  platformApi?: string;
  network: string;
  pullPolicy: PullPolicy;
  host?: string;
}

export const extendCommand: CommandDefinition<ExtendArgs> = {
  command: 'extend',
  describe: 'Apply the extension Dockerfiles of a generated folder to a base image',
  builder: (y) =>
    y
      .option('kind', {
        choices: ['build', 'run'] as const,
        demandOption: true,
        describe: 'Which Dockerfiles to apply',
      })
      .option('generated', {
        type: 'string',
        demandOption: true,
        describe: "detect's generated folder",
      })
      .option('base', { type: 'string', demandOption: true, describe: 'The image to extend' })
      .option('group', {
        type: 'string',
        describe: 'group.toml: apply in [[group-extensions]] order',
      })
      .option('app', {
        type: 'string',
        describe: 'App directory (context of Dockerfiles without their own)',
      })
      .option('tag', { type: 'string', describe: 'Tag the resulting image' })
      .option('layout', {
        type: 'string',
        describe: 'Run kind: write the OCI layout for the exporter here',
      })
      .option('platform-api', {
        type: 'string',
        describe: 'Platform API of the generated layout (default: detected from the folder)',
      })
      .option('network', {
        type: 'string',
        default: 'host',
        describe: 'Network of RUN steps: host or none',
      })
      .option('pull-policy', {
        choices: ['always', 'if-not-present', 'never'] as const,
        default: 'if-not-present' as const,
        describe: 'Pulling a run image an extension switches to',
      })
      .option('extender', {
        choices: EXTENDER_CHOICES,
        describe: `Builder of the Dockerfiles: BuildKit, the classic builder, or auto (env ${EXTENDER_ENV})`,
      }) as never, // yargs types dashed options by their dashed names; ExtendArgs has the camelCase ones
  handler: async (args, ctx) => {
    if (args.layout && args.kind !== 'run')
      throw new UsageError('--layout applies to --kind run only');
    if (args.network !== 'host' && args.network !== 'none') {
      throw new UsageError('--network must be host or none');
    }
    const path = (p: string) => (isAbsolute(p) ? p : resolve(ctx.cwd, p));
    const generatedDir = path(args.generated);
    const platformApi = args.platformApi ?? (await detectPlatformApi(generatedDir, args.kind));
    const order = args.group
      ? parseGroup(await readFile(path(args.group), 'utf8'), path(args.group)).extensions.map(
          (e) => e.id,
        )
      : undefined;
    const asked = extenderChoice(args.extender, ctx.env);
    const engine = new EngineClient(engineOptions(args, ctx));
    // Held until tagged: a concurrent extend moving the same cache tag cannot remove it first.
    const images = new ExtendSession(engine, `extend-${randomBytes(6).toString('hex')}`, {
      onCleanupFailed: ({ what, message }) =>
        ctx.output.warn(`could not remove ${what}: ${message}`),
    });
    try {
      const chosen = await chooseBuilder(engine, asked.choice, {
        signal: ctx.signal,
        source: asked.source,
      });
      ctx.output.event({
        type: 'extender.chosen',
        message: `${chosen.builder === 'buildkit' ? 'BuildKit' : 'classic builder'} (${chosen.reason})`,
        data: { ...chosen },
      });
      const result = await extend({
        builder: chosen.builder,
        hold: images.hold,
        engine,
        kind: args.kind,
        generatedDir,
        platformApi,
        baseImage: args.base,
        networkMode: args.network,
        pullPolicy: args.pullPolicy,
        signal: ctx.signal,
        onEvent: (e) => renderExtenderEvent(ctx.output, e),
        ...(order ? { order } : {}),
        ...(args.app ? { appDir: path(args.app) } : {}),
        ...(args.layout ? { layout: directorySink(path(args.layout)) } : {}),
      });
      if (args.tag) {
        const { repo, tag } = splitTag(args.tag);
        await engine.images.tag(result.imageId, repo, tag, { signal: ctx.signal });
      }
      ctx.output.result(toJson(result), result.imageId);
      images.retire(result);
      return 0;
    } finally {
      await images.close();
      await engine.close();
    }
  },
};

/** The < 0.13 layout has `<generated>/<kind>/`; otherwise assume 0.13. */
async function detectPlatformApi(dir: string, kind: string): Promise<string> {
  return access(join(dir, kind)).then(
    () => '0.12',
    () => '0.13',
  );
}

/** `repo[:tag]`, where a registry port is not a tag. */
export function splitTag(name: string): { repo: string; tag: string } {
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/')
    ? { repo: name.slice(0, colon), tag: name.slice(colon + 1) }
    : { repo: name, tag: 'latest' };
}

function toJson(r: ExtendResult) {
  return {
    imageId: r.imageId,
    rebasable: r.rebasable ?? null,
    ...(r.runImage ? { runImage: r.runImage } : {}),
    ...(r.runImageDecision?.switchTo ? { switchedTo: r.runImageDecision.switchTo } : {}),
    applied: r.applied.map((a) => ({
      extension: a.extension,
      dockerfile: a.dockerfile,
      imageId: a.imageId,
    })),
    warnings: r.warnings,
    ...(r.layout ? { layout: { layers: r.layout.layers.length, bytes: r.layout.bytes } } : {}),
  };
}
