/** The engine a command talks to: `-H/--host` (every command), else DOCKER_HOST and the context. */
import type { EngineClientOptions } from '@imgext/engine-client';
import type { CommandContext, GlobalArgs } from './command.js';

export function engineOptions(
  args: Pick<GlobalArgs, 'host'>,
  ctx: CommandContext,
): EngineClientOptions {
  return { env: ctx.env, ...(args.host ? { host: args.host } : {}) };
}
