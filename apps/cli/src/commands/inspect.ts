/**
 * `imgext inspect <image>`: as `pack inspect`, what a buildpacks app image is made of — run image,
 * buildpacks, extensions (with what each did), processes — and whether it can be rebased, with
 * the extension(s) that prevent it. Reads the daemon, or the registry with --registry.
 */
import { type ImageInspection, inspectImage } from '@imgext/build';
import { EngineClient } from '@imgext/engine-client';
import type { CommandDefinition } from '../command.js';
import { engineOptions } from '../engine-options.js';
import { table } from '../render/table.js';

export interface InspectArgs {
  image: string;
  registry: boolean;
}

export const inspectCommand: CommandDefinition<InspectArgs> = {
  command: 'inspect <image>',
  describe:
    'Show the run image, buildpacks, extensions, processes and rebasability of an app image',
  builder: (y) =>
    y
      .positional('image', { type: 'string', demandOption: true, describe: 'The app image' })
      .option('registry', {
        type: 'boolean',
        default: false,
        describe: 'Read the image from its registry instead of the daemon',
      }) as never,
  handler: async (args, ctx) => {
    const client = new EngineClient(engineOptions(args, ctx));
    try {
      const info = await inspectImage(client, args.image, {
        registry: args.registry,
        signal: ctx.signal,
      });
      ctx.output.result({ type: 'result', ...info }, renderInspection(info));
      return 0;
    } finally {
      await client.close();
    }
  },
};

export function renderInspection(i: ImageInspection): string {
  const lines = [
    `Inspecting image: ${i.image}`,
    '',
    `${i.location === 'daemon' ? 'Daemon' : 'Registry'}:`,
    '',
  ];
  lines.push(`Image: ${i.id}${i.digest ? ` (digest ${i.digest})` : ''}`);
  if (i.stackId) lines.push(`Stack: ${i.stackId}`);
  lines.push('', 'Run Image:');
  lines.push(`  Image:     ${i.runImage.image ?? '(not recorded)'}`);
  lines.push(`  Reference: ${i.runImage.reference ?? '(not recorded)'}`);
  lines.push(`  Top Layer: ${i.runImage.topLayer ?? '(not recorded)'}`);
  lines.push(
    `  Mirrors:   ${i.runImage.mirrors.length ? i.runImage.mirrors.join(', ') : '(none)'}`,
  );
  lines.push('', `Rebasable: ${i.rebasable ? 'yes' : 'no'}`);
  if (!i.rebasable && i.notRebasableBecause.length) {
    lines.push(
      `  because the run.Dockerfile of ${i.notRebasableBecause.join(', ')} does not declare io.buildpacks.rebasable=true`,
    );
  }
  lines.push('', 'Buildpacks:');
  lines.push(
    ...table(
      ['ID', 'VERSION', 'HOMEPAGE'],
      i.buildpacks.map((b) => [b.id, b.version ?? '', b.homepage ?? '']),
    ),
  );
  lines.push('', 'Extensions:');
  lines.push(
    ...table(
      ['ID', 'VERSION', 'APPLIED', 'REBASABLE'],
      i.extensions.map((e) => [
        e.id,
        e.version ?? '',
        e.kinds.length ? e.kinds.join(', ') : '(not recorded)',
        e.rebasable === undefined ? '' : String(e.rebasable),
      ]),
    ),
  );
  lines.push('', 'Processes:');
  lines.push(
    ...table(
      ['TYPE', 'SHELL', 'COMMAND', 'ARGS', 'WORK DIR'],
      i.processes.map((p) => [
        `${p.type}${p.default ? ' (default)' : ''}`,
        p.direct ? '' : 'bash',
        p.command.join(' '),
        p.args.join(' '),
        p.workingDir ?? '',
      ]),
    ),
  );
  return lines.join('\n');
}
