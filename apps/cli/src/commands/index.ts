/**
 * Every imgext command, declared as data. Add a command by adding its entry here: its name and
 * one-line description (what `imgext --help` lists, without loading anything), and `load`, which
 * imports the module defining it. The CLI loads only the command being run (or asked for with
 * `imgext <command> --help`): `imgext --version` and `imgext --help` load none, so they start
 * without the engine client, undici or the lifecycle (see commands-index.test.ts: the entries
 * match the modules).
 */
import type { CommandDefinition } from '../command.js';

export interface CommandEntry {
  /** yargs command string, as the module's definition has it, e.g. 'build <image>'. */
  command: string;
  describe: string;
  load: () => Promise<CommandDefinition>;
}

export const commands: CommandEntry[] = [
  {
    command: 'info',
    describe: 'Show the container engine imgext uses (endpoint, API version, image store)',
    load: async () => (await import('./info.js')).info,
  },
  {
    command: 'build <image>',
    describe:
      'Build an app image with a CNB builder, applying its image extensions with the daemon',
    load: async () => (await import('./build.js')).buildCommand,
  },
  {
    command: 'extend',
    describe: 'Apply the extension Dockerfiles of a generated folder to a base image',
    load: async () => (await import('./extend.js')).extendCommand,
  },
  {
    command: 'prune',
    describe: "Remove imgext's cached intermediate images (imgext.local/cache/...)",
    load: async () => (await import('./prune.js')).pruneCommand,
  },
  {
    command: 'inspect <image>',
    describe:
      'Show the run image, buildpacks, extensions, processes and rebasability of an app image',
    load: async () => (await import('./inspect.js')).inspectCommand,
  },
  {
    command: 'rebase <image>',
    describe: 'Put an app image on a new run image, keeping its app and extension layers',
    load: async () => (await import('./rebase.js')).rebaseCommand,
  },
  {
    command: 'builder <action> <builder>',
    describe:
      'Inspect a builder: its buildpacks, extensions, orders, run images and lifecycle (builder inspect <builder>)',
    load: async () => (await import('./builder-inspect.js')).builderCommand,
  },
];

/** The command's name: the first word of its yargs command string. */
export const commandName = (entry: Pick<CommandEntry, 'command'>): string =>
  entry.command.split(' ')[0]!;
