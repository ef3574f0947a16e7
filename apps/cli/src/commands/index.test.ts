import { describe, expect, it } from 'vitest';
import { commandName, commands } from './index.js';

describe('the command list', () => {
  it.each(commands.map((c) => [commandName(c), c] as const))(
    'declares %s as its module defines it (what --help lists without loading it)',
    async (_name, entry) => {
      const def = await entry.load();
      expect({ command: entry.command, describe: entry.describe }).toEqual({
        command: def.command,
        describe: def.describe,
      });
    },
  );

  it('names every command once', () => {
    const names = commands.map(commandName);
    expect(new Set(names).size).toBe(names.length);
  });
});
