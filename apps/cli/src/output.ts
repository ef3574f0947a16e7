/**
 * Renders what commands report: progress lines on stderr for people, or JSON lines on stdout
 * for machines (`--json`: one object per line, the result last).
 */
import type { CliEvent, Output } from './command.js';
import { createExtensionProgress } from './render/extension-progress.js';

export interface Streams {
  stdout: { write(text: string): unknown };
  /** `isTTY`, `columns`, `rows`: stderr is a terminal, and its size. */
  stderr: {
    write(text: string): unknown;
    isTTY?: boolean | undefined;
    columns?: number | undefined;
    rows?: number | undefined;
  };
}

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  timestamps?: boolean;
  /** Only warnings and the result. */
  quiet?: boolean;
  /** Colour: keep the colour codes of log text (never in JSON), colours in the live view. */
  color?: boolean;
  /** Milliseconds since start, for the elapsed prefix. */
  now?: () => number;
  /**
   * stderr is a terminal (and not --json): BuildKit extension steps are drawn live
   * (render/extension-progress.ts) and every other stderr line is written above them.
   */
  live?: boolean;
}

export function createOutput(streams: Streams, opts: OutputOptions): Output {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const stamp = () => (opts.timestamps ? `${new Date().toISOString()} ` : '');
  const elapsed = () => `[${((now() - start) / 1000).toFixed(1).padStart(5)}s]`;
  // With --timestamps, every JSON line carries its time (ISO 8601, milliseconds) first.
  const jsonLine = (value: unknown) => {
    const stamped =
      opts.timestamps && typeof value === 'object' && value !== null && !Array.isArray(value)
        ? { time: new Date().toISOString(), ...value }
        : value;
    streams.stdout.write(`${JSON.stringify(stamped)}\n`);
  };

  const quiet = opts.quiet === true;
  if (opts.json) {
    return {
      event: (e: CliEvent) => {
        if (quiet) return;
        jsonLine({ type: e.type, message: e.message, ...(e.data ?? {}) });
      },
      warn: (message, data) => jsonLine({ type: 'warning', message, ...(data ?? {}) }),
      result: (value) => jsonLine(value),
      log: (prefix, text) => {
        if (quiet) return;
        jsonLine({ type: 'log', source: prefix, text: stripAnsi(text) });
      },
    };
  }
  const logText = opts.color ? (t: string) => t : stripAnsi;
  const extensions =
    opts.live && !quiet
      ? createExtensionProgress(streams.stderr, { color: opts.color ?? false })
      : undefined;
  const stderr = (text: string) =>
    extensions ? extensions.write(text) : streams.stderr.write(text);
  return {
    event: (e) => {
      if (quiet || (e.detail && !opts.verbose)) return;
      stderr(`${stamp()}${elapsed()} ${e.message}\n`);
    },
    warn: (message) => stderr(`${stamp()}warning: ${message}\n`),
    result: (_value, human) => {
      extensions?.finish();
      streams.stdout.write(human.endsWith('\n') ? human : `${human}\n`);
    },
    log: (prefix, text) => {
      if (quiet) return;
      for (const line of logText(text).split('\n')) {
        if (line.length > 0) stderr(`${stamp()}[${prefix}] ${line}\n`);
      }
    },
    ...(extensions ? { extensions, finish: () => extensions.finish() } : {}),
  };
}

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and other two-character
// escapes of terminal output. Built from strings: a regex literal with ESC trips the linter.
const ESC = '\u001b';
const BEL = '\u0007';
const ANSI = new RegExp(
  [
    `${ESC}\\[[0-?]*[ -/]*[@-~]`,
    `${ESC}\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)`,
    `${ESC}[@-Z\\\\-_]`,
  ].join('|'),
  'g',
);

/** Text without its terminal escape sequences. */
export function stripAnsi(text: string): string {
  return text.includes(ESC) ? text.replace(ANSI, '') : text;
}
