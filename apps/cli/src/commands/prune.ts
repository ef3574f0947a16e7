/** `imgext prune`: remove the intermediate images imgext keeps for the daemon's build cache. */
import { EngineClient } from '@imgext/engine-client';
import { CACHE_REPOSITORY_PREFIX, pruneCache } from '@imgext/extender';
import type { CommandDefinition } from '../command.js';
import { engineOptions } from '../engine-options.js';

export const pruneCommand: CommandDefinition<object> = {
  command: 'prune',
  describe: `Remove imgext's cached intermediate images (${CACHE_REPOSITORY_PREFIX}...)`,
  builder: (y) => y,
  handler: async (args, ctx) => {
    const engine = new EngineClient(engineOptions(args, ctx));
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
