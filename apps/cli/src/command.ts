/**
 * What a command is: data the CLI registers with yargs. Commands never print directly; they
 * report through `ctx.output`, which renders for humans or as JSON lines (`--json`).
 */
import type { Argv } from 'yargs';
import type { ExtensionProgress } from './render/extension-progress.js';

/** A progress or diagnostic event a command forwards from the libraries. */
export interface CliEvent {
  /** Stable, dotted: 'phase.start', 'extension.applied', ... */
  type: string;
  /** One line for humans. */
  message: string;
  /** Anything machine-readable. */
  data?: Record<string, unknown>;
  /** Timings and the like: always in --json, for people only with --verbose. */
  detail?: boolean;
}

export interface Output {
  /** A progress event: a line on stderr for humans, a JSON line on stdout with --json. */
  event(event: CliEvent): void;
  /** A warning: stderr for humans, a JSON line with --json. */
  warn(message: string, data?: Record<string, unknown>): void;
  /** The command's result: `human` on stdout, or `value` as one JSON document with --json. */
  result(value: unknown, human: string): void;
  /** Raw log text of a long-running step (phase logs), prefixed; stderr for humans, JSON line with --json. */
  log(prefix: string, text: string): void;
  /** On a terminal (OutputOptions.live): the live view of BuildKit extension steps. */
  extensions?: ExtensionProgress;
  /** Ends what is live on the terminal; call once the command is done (also when it failed). */
  finish?(): void;
}

export interface CommandContext {
  output: Output;
  /** Aborted on SIGINT/SIGTERM; commands must clean up and then reject. */
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface GlobalArgs {
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  /** `-H/--host`: the engine's address (overrides DOCKER_HOST). */
  host?: string;
  /** `--no-color` makes it false. */
  color: boolean;
  forceColor: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: yargs argv types differ per command
export interface CommandDefinition<A = any> {
  /** yargs command string, e.g. 'build <image>'. */
  command: string;
  describe: string;
  builder: (yargs: Argv<GlobalArgs>) => Argv<A>;
  /** Resolves to the exit code (default 0). Throw errors; the CLI maps them to exit codes. */
  handler: (args: A & GlobalArgs, ctx: CommandContext) => Promise<number | undefined>;
}
