/** Every imgext command, declared as data. Add a command by adding its definition here. */
import type { CommandDefinition } from '../command.js';
import { buildCommand } from './build.js';
import { builderCommand } from './builder-inspect.js';
import { extendCommand } from './extend.js';
import { info } from './info.js';
import { inspectCommand } from './inspect.js';
import { pruneCommand } from './prune.js';
import { rebaseCommand } from './rebase.js';

export const commands: CommandDefinition[] = [
  info,
  buildCommand,
  extendCommand,
  pruneCommand,
  inspectCommand,
  rebaseCommand,
  builderCommand,
];
