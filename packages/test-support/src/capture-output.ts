/** Streams for `main(argv, { stdout, stderr })` of the CLI that keep what was written. */
export interface CapturedOutput {
  streams: {
    stdout: { write(text: string): void };
    stderr: { write(text: string): void };
  };
  stdout(): string;
  stderr(): string;
  /** The JSON lines of stdout (with --json), parsed. */
  jsonLines(): Array<Record<string, unknown>>;
}

/** `onJsonLine` sees each JSON line of stdout as soon as it is complete. */
export function captureOutput(
  opts: { onJsonLine?: (line: Record<string, unknown>) => void } = {},
): CapturedOutput {
  const out: string[] = [];
  const err: string[] = [];
  let pending = '';
  const isJson = (line: string) => line.startsWith('{');
  return {
    streams: {
      stdout: {
        write: (text: string) => {
          out.push(text);
          if (!opts.onJsonLine) return;
          const lines = (pending + text).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) if (isJson(line)) opts.onJsonLine(JSON.parse(line));
        },
      },
      stderr: {
        write: (text: string) => {
          err.push(text);
        },
      },
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    jsonLines: () =>
      out
        .join('')
        .split('\n')
        .filter(isJson)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
