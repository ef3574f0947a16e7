/** `imgext info`: which engine imgext talks to, how, and what it is. */
import { EngineClient } from '@imgext/engine-client';
import { chooseBuilder } from '@imgext/extender';
import type { CommandDefinition } from '../command.js';
import { engineOptions } from '../engine-options.js';
import { extenderChoice, extenderOption } from '../extender-option.js';

export const info: CommandDefinition<{ extender?: string }> = {
  command: 'info',
  describe: 'Show the container engine imgext uses (endpoint, API version, image store)',
  builder: (y) => extenderOption(y),
  handler: async (args, ctx) => {
    const asked = extenderChoice(args.extender, ctx.env);
    const engine = new EngineClient(engineOptions(args, ctx));
    try {
      const [version, info] = await Promise.all([
        engine.version({ signal: ctx.signal }),
        engine.info({ signal: ctx.signal }),
      ]);
      const apiVersion = await engine.apiVersion({ signal: ctx.signal });
      const extender = await chooseBuilder(engine, asked.choice, {
        signal: ctx.signal,
        source: asked.source,
      });
      const containerdStore = (info.DriverStatus ?? []).some(
        ([k, v]) => k === 'driver-type' && v === 'io.containerd.snapshotter.v1',
      );
      const result = {
        host: engine.endpoint.host,
        source: engine.endpoint.source,
        engineVersion: version.Version,
        apiVersion,
        os: `${version.Os}/${version.Arch}`,
        driver: info.Driver,
        imageStore: containerdStore ? 'containerd' : 'classic',
        extender: extender.builder,
        extenderReason: extender.reason,
      };
      ctx.output.result(
        result,
        [
          `host:          ${result.host} (from ${result.source})`,
          `engine:        ${result.engineVersion} (${result.os})`,
          `API version:   ${result.apiVersion}`,
          `storage:       ${result.driver}, ${result.imageStore} image store`,
          `extender:      ${extender.builder === 'buildkit' ? 'BuildKit' : 'classic builder'} (${extender.reason})`,
        ].join('\n'),
      );
      return 0;
    } finally {
      await engine.close();
    }
  },
};
