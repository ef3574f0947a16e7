/**
 * Renders what commands report: progress lines on stderr for people, or JSON lines on stdout
 * for machines (`--json`: one object per line, the result last).
 */
import type { CliEvent, Output } from './command.js';

export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  timestamps?: boolean;
  /** Only warnings and the result. */
  quiet?: boolean;
  /** Keep the colour codes of log text (never in JSON). Default false. */
  color?: boolean;
  /** Milliseconds since start, for the elapsed prefix. */
  now?: () => number;
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
  return {
    event: (e) => {
      if (quiet || (e.detail && !opts.verbose)) return;
      streams.stderr.write(`${stamp()}${elapsed()} ${e.message}\n`);
    },
    warn: (message) => streams.stderr.write(`${stamp()}warning: ${message}\n`),
    result: (_value, human) => streams.stdout.write(human.endsWith('\n') ? human : `${human}\n`),
    log: (prefix, text) => {
      if (quiet) return;
      for (const line of logText(text).split('\n')) {
        if (line.length > 0) streams.stderr.write(`${stamp()}[${prefix}] ${line}\n`);
      }
    },
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
