/** `imgext info`: which engine imgext talks to, how, and what it is. */
import { EngineClient } from '@imgext/engine-client';
import type { CommandDefinition } from '../command.js';
import { engineOptions } from '../engine-options.js';

export const info: CommandDefinition<object> = {
  command: 'info',
  describe: 'Show the container engine imgext uses (endpoint, API version, image store)',
  builder: (y) => y,
  handler: async (args, ctx) => {
    const engine = new EngineClient(engineOptions(args, ctx));
    try {
      const [version, info] = await Promise.all([
        engine.version({ signal: ctx.signal }),
        engine.info({ signal: ctx.signal }),
      ]);
      const apiVersion = await engine.apiVersion({ signal: ctx.signal });
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
      };
      ctx.output.result(
        result,
        [
          `host:          ${result.host} (from ${result.source})`,
          `engine:        ${result.engineVersion} (${result.os})`,
          `API version:   ${result.apiVersion}`,
          `storage:       ${result.driver}, ${result.imageStore} image store`,
        ].join('\n'),
      );
      return 0;
    } finally {
      await engine.close();
    }
  },
};
