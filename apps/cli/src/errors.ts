/**
 * The one place that maps errors to exit codes and user-facing text.
 * 0 ok, 1 the work failed, 2 usage error, 130 interrupted.
 */

export class UsageError extends Error {
  /** IMGEXT_USAGE, or the stable code of the library error it stands for (exit 2 either way). */
  readonly code: string;
  readonly hint: string | undefined;
  override name = 'UsageError';
  constructor(message: string, opts: { code?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code ?? 'IMGEXT_USAGE';
    this.hint = opts.hint;
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

interface CodedError extends Error {
  code?: unknown;
  hint?: unknown;
  exitCode?: unknown;
}

function isAbort(err: CodedError): boolean {
  return err.name === 'AbortError' || err.code === 'ABORT_ERR' || err.code === 'ENGINE_ABORTED';
}

export function exitCodeFor(err: unknown, interrupted: boolean): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  const e = err as CodedError;
  if (typeof e?.exitCode === 'number') return e.exitCode;
  if (interrupted || (e instanceof Error && isAbort(e))) return EXIT_INTERRUPTED;
  return EXIT_FAILED;
}

export interface ErrorReport {
  code: string;
  message: string;
  hint?: string;
}

/** What the user sees of an error: its stable code, its message, a hint when the error has one. */
export function describeError(err: unknown): ErrorReport {
  if (err instanceof Error) {
    const e = err as CodedError;
    const code = typeof e.code === 'string' ? e.code : 'IMGEXT_INTERNAL';
    const report: ErrorReport = { code, message: err.message };
    if (typeof e.hint === 'string') report.hint = e.hint;
    return report;
  }
  return { code: 'IMGEXT_INTERNAL', message: String(err) };
}
