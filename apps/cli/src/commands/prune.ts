/** `imgext prune`: remove the intermediate images imgext keeps for the daemon's build cache. */
import { EngineClient } from '@imgext/engine-client';
import { CACHE_REPOSITORY_PREFIX, pruneCache } from '@imgext/extender';
import type { CommandDefinition } from '../command.js';

export const pruneCommand: CommandDefinition<{ host?: string }> = {
  command: 'prune',
  describe: `Remove imgext's cached intermediate images (${CACHE_REPOSITORY_PREFIX}...)`,
  builder: (y) =>
    y.option('host', { type: 'string', describe: 'Engine address (overrides DOCKER_HOST)' }),
  handler: async (args, ctx) => {
    const engine = new EngineClient({ env: ctx.env, ...(args.host ? { host: args.host } : {}) });
    try {
      const { removed, removedUntagged, notRemoved } = await pruneCache(engine, {
        signal: ctx.signal,
      });
      for (const { ref, message } of notRemoved) {
        ctx.output.warn(`could not remove ${ref}: ${message}`, { ref });
      }
      const lines = removed.map((r) => `removed ${r}`);
      if (removedUntagged > 0) {
        lines.push(`removed ${removedUntagged} untagged step image(s) behind them`);
      }
      ctx.output.result(
        { removed, removedUntagged, notRemoved: notRemoved.map((n) => n.ref) },
        lines.length ? lines.join('\n') : 'nothing to prune',
      );
      return 0;
    } finally {
      await engine.close();
    }
  },
};
