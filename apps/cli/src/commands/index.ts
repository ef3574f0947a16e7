/** Every imgext command, declared as data. Add a command by adding its definition here. */
import type { CommandDefinition } from '../command.js';

export const commands: CommandDefinition[] = [];
