/**
 * `imgext`: parses arguments with yargs (strict), runs one command, renders its output, and maps
 * errors to exit codes in one place. `main(argv)` is exported so tests run the CLI in-process.
 *
 * Start-up is kept short: `imgext --version` answers before yargs is loaded, and only the command
 * being run (or asked for with `<command> --help`) is imported; the others are registered from
 * their data in commands/index.ts, which is all `--help` and a mistyped command need.
 */

import type { Argv } from 'yargs';
import type { CommandContext, CommandDefinition, GlobalArgs } from './command.js';
import { commandName, commands } from './commands/index.js';
import { describeError, EXIT_OK, EXIT_USAGE, exitCodeFor, UsageError } from './errors.js';
import { createOutput, type Streams } from './output.js';

export interface MainOptions extends Partial<Streams> {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Aborted by the process on SIGINT/SIGTERM (bin/imgext.js), or by a test. */
  signal?: AbortSignal;
}

export const VERSION = '0.0.0';

const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** yargs lists an unknown `--foo-bar` twice (foo-bar, fooBar): name each flag once, as typed. */
export function usageMessage(msg: string): string {
  const m = /^Unknown arguments?: (.*)$/.exec(msg);
  if (!m?.[1]) return msg;
  const names = m[1].split(', ');
  const flags = names.filter((n) => !names.some((o) => o !== n && camel(o) === n));
  const shown = flags.map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
  return `Unknown ${shown.length === 1 ? 'flag' : 'flags'}: ${shown.join(', ')}`;
}

export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const streams: Streams = {
    stdout: opts.stdout ?? process.stdout,
    stderr: opts.stderr ?? process.stderr,
  };
  if (argv.length === 1 && argv[0] === '--version') {
    streams.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  const signal = opts.signal ?? new AbortController().signal;
  const wantsJson = argv.includes('--json');
  let exitCode = EXIT_OK;
  let handled = false;

  let parser: Argv<GlobalArgs>;
  try {
    parser = await createParser(argv, streams, signal, opts, (code) => {
      handled = true;
      exitCode = code;
    });
  } catch (err) {
    return reportError(err, signal, wantsJson, streams);
  }
  try {
    let helpText = '';
    await parser.parseAsync(argv, {}, (_err, _argv, out) => {
      helpText = out;
    });
    if (helpText) streams.stdout.write(helpText.endsWith('\n') ? helpText : `${helpText}\n`);
    return handled ? exitCode : EXIT_OK;
  } catch (err) {
    return reportError(err, signal, wantsJson, streams);
  }
}

function reportError(
  err: unknown,
  signal: AbortSignal,
  wantsJson: boolean,
  streams: Streams,
): number {
  const code = exitCodeFor(err, signal.aborted);
  const report = describeError(err);
  if (wantsJson) {
    streams.stdout.write(`${JSON.stringify({ type: 'error', ...report, exitCode: code })}\n`);
  } else {
    streams.stderr.write(`imgext: error [${report.code}]: ${report.message}\n`);
    if (report.hint) streams.stderr.write(`  hint: ${report.hint}\n`);
    if (code === EXIT_USAGE) streams.stderr.write("  Run 'imgext --help' for usage.\n");
  }
  return code;
}

/**
 * The yargs parser with every command registered; only the one `argv` names (its first word
 * that is not a flag: the global flags take no value) is loaded and gets its full definition.
 */
async function createParser(
  argv: string[],
  streams: Streams,
  signal: AbortSignal,
  opts: MainOptions,
  done: (code: number) => void,
): Promise<Argv<GlobalArgs>> {
  const { default: yargs } = await import('yargs');
  const named = argv.find((a) => !a.startsWith('-'));
  const parser: Argv<GlobalArgs> = yargs()
    .scriptName('imgext')
    .usage('$0 <command> [options]')
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'Machine-readable JSON lines on stdout',
    })
    .option('verbose', {
      alias: 'v',
      type: 'boolean',
      default: false,
      describe: 'More detail, lifecycle debug logs',
    })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      default: false,
      describe: 'Only warnings, errors and the result (no progress, no phase logs)',
    })
    .option('host', {
      alias: 'H',
      type: 'string',
      describe: "The engine's address (overrides DOCKER_HOST and the docker context)",
    })
    .option('color', {
      type: 'boolean',
      default: true,
      describe: 'Colour codes of the phase logs (--no-color strips them)',
    })
    .option('force-color', {
      type: 'boolean',
      default: false,
      describe: 'Keep colour codes even when stdout is not a terminal (never in --json)',
    })
    .strict()
    .demandCommand(1, 'Name a command.')
    .recommendCommands()
    .exitProcess(false)
    .help()
    .version(VERSION)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(usageMessage(msg));
    }) as unknown as Argv<GlobalArgs>;
  skipHelpCache(parser);

  for (const entry of commands) {
    const def: CommandDefinition | undefined =
      commandName(entry) === named ? await entry.load() : undefined;
    if (!def) {
      // Not the command being run: its name and description are all yargs needs.
      parser.command({ command: entry.command, describe: entry.describe, handler: () => {} });
      continue;
    }
    parser.command({
      command: def.command,
      describe: def.describe,
      builder: (y: Argv) => def.builder(y as Argv<GlobalArgs>),
      handler: async (args) => {
        const a = args as unknown as GlobalArgs & { timestamps?: boolean };
        if (a.quiet && a.verbose) throw new UsageError('--quiet and --verbose exclude each other');
        const env = opts.env ?? process.env;
        const live = !a.json && !a.quiet && streams.stderr.isTTY === true;
        const output = createOutput(streams, {
          json: a.json,
          verbose: a.verbose,
          quiet: a.quiet,
          // As pack: colour when stdout is a terminal (or the live view's stderr), --force-color,
          // never with --no-color (nor NO_COLOR, nor TERM=dumb).
          color:
            a.color &&
            !env.NO_COLOR &&
            env.TERM !== 'dumb' &&
            (a.forceColor || live || (streams.stdout as { isTTY?: boolean }).isTTY === true),
          timestamps: a.timestamps ?? false,
          live,
        });
        const ctx: CommandContext = {
          output,
          signal,
          env: opts.env ?? process.env,
          cwd: opts.cwd ?? process.cwd(),
        };
        try {
          const code = await def.handler(a, ctx);
          done(code ?? EXIT_OK);
        } finally {
          output.finish?.();
        }
      },
    });
  }
  return parser;
}

/**
 * yargs renders the whole help text before it runs a command's handler, for a `showHelp()` from
 * inside the handler (imgext never calls one; its usage errors carry no help text): ~20-60 ms of
 * string widths in every command's start, before the handler's first await goes on. Turned off
 * through yargs' internal usage instance (yargs is pinned; main.test.ts checks that the text is
 * no longer rendered and that --help still prints it).
 */
export function skipHelpCache(parser: Argv<GlobalArgs>): void {
  const internal = parser as unknown as {
    getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } };
  };
  const usage = internal.getInternalMethods?.().getUsageInstance?.();
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}
