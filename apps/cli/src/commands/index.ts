/** Every imgext command, declared as data. Add a command by adding its definition here. */
import type { CommandDefinition } from '../command.js';
import { buildCommand } from './build.js';
import { info } from './info.js';

export const commands: CommandDefinition[] = [info, buildCommand];
