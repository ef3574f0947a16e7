/**
 * `imgext builder inspect <builder>`: as `pack builder inspect`: buildpacks, extensions, their
 * detection orders, run images, the lifecycle's version and APIs, and which platform API imgext
 * would use with it.
 */
import { type BuilderInspection, inspectBuilder } from '@imgext/build';
import { EngineClient } from '@imgext/engine-client';
import type { PullPolicy } from '@imgext/extender';
import type { CommandDefinition } from '../command.js';
import { engineOptions } from '../engine-options.js';
import { table } from '../render/table.js';

export interface BuilderInspectArgs {
  action: 'inspect';
  builder: string;
  pullPolicy: PullPolicy;
}

export const builderCommand: CommandDefinition<BuilderInspectArgs> = {
  // yargs has no two-word commands: `builder <action>` with the one action pack has that applies.
  command: 'builder <action> <builder>',
  describe:
    'Inspect a builder: its buildpacks, extensions, orders, run images and lifecycle (builder inspect <builder>)',
  builder: (y) =>
    y
      .positional('action', { choices: ['inspect'] as const, describe: 'What to do' })
      .positional('builder', { type: 'string', demandOption: true, describe: 'Builder image' })
      .option('pull-policy', {
        choices: ['always', 'if-not-present', 'never'] as const,
        default: 'if-not-present' as const,
        describe: 'When to pull the builder',
      }) as never,
  handler: async (args, ctx) => {
    const client = new EngineClient(engineOptions(args, ctx));
    try {
      const info = await inspectBuilder(client, args.builder, {
        pullPolicy: args.pullPolicy,
        signal: ctx.signal,
      });
      ctx.output.result({ type: 'result', ...info }, renderBuilder(info));
      return 0;
    } finally {
      await client.close();
    }
  },
};

function order(groups: BuilderInspection['order']): string[] {
  if (groups.length === 0) return ['  (none)'];
  return groups.flatMap((g, i) => [
    `  Group #${i + 1}:`,
    ...g.map(
      (e) => `    ${e.id}${e.version ? `@${e.version}` : ''}${e.optional ? '  (optional)' : ''}`,
    ),
  ]);
}

export function renderBuilder(i: BuilderInspection): string {
  const apis = (s: { supported: string[]; deprecated: string[] }) =>
    `${s.supported.join(', ') || '(none)'}${s.deprecated.length ? ` (deprecated: ${s.deprecated.join(', ')})` : ''}`;
  return [
    `Inspecting builder: ${i.builder}`,
    '',
    `Image:       ${i.id}`,
    ...(i.description ? [`Description: ${i.description}`] : []),
    ...(i.createdBy
      ? [`Created By:  ${i.createdBy.name ?? '?'} ${i.createdBy.version ?? ''}`.trimEnd()]
      : []),
    ...(i.stackId ? [`Stack:       ${i.stackId}`] : []),
    '',
    'Lifecycle:',
    `  Version:          ${i.lifecycle.version ?? '(not recorded)'}`,
    `  Platform APIs:    ${apis(i.lifecycle.platformApis)}`,
    `  Buildpack APIs:   ${apis(i.lifecycle.buildpackApis)}`,
    `  imgext would use: platform API ${i.platformApi ?? `none (${i.platformApiError})`}`,
    `  Untrusted builds: analyzer, restorer, exporter in ${i.defaultLifecycleImage ?? '(no default: pass --lifecycle-image)'}`,
    '',
    'Run Images:',
    ...(i.runImages.length
      ? i.runImages.map(
          (r) => `  ${r.image}${r.mirrors.length ? ` (mirrors: ${r.mirrors.join(', ')})` : ''}`,
        )
      : ['  (none)']),
    '',
    'Buildpacks:',
    ...table(
      ['ID', 'VERSION', 'HOMEPAGE'],
      i.buildpacks.map((b) => [b.id, b.version ?? '', b.homepage ?? '']),
    ),
    '',
    'Extensions:',
    ...table(
      ['ID', 'VERSION', 'HOMEPAGE'],
      i.extensions.map((b) => [b.id, b.version ?? '', b.homepage ?? '']),
    ),
    '',
    'Detection Order:',
    ...order(i.order),
    '',
    `Detection Order (Extensions)${i.orderExtensionsLabel ? ` [${i.orderExtensionsLabel}]` : ''}:`,
    ...order(i.orderExtensions),
  ].join('\n');
}
