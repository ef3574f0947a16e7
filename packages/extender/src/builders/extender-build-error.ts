/** An engine build error, as the extender reports it: which extension, which Dockerfile line. */
import { CancelledError, ExtenderError } from '../errors.js';
import type { DockerfileBuild } from './dockerfile-builder.js';

type StepLine = (
  step: string,
  b: Pick<DockerfileBuild, 'dockerfile' | 'injectedBaseArg'>,
) => number | undefined;

export function toExtenderError(
  err: unknown,
  b: Pick<DockerfileBuild, 'dockerfile' | 'injectedBaseArg'>,
  stepLine: StepLine,
): Error {
  const d = b.dockerfile;
  const e = err as { code?: string; step?: string; message?: string };
  const where = { extension: d.extensionId, dockerfile: d.path, cause: err };
  if (e?.code === 'ENGINE_ABORTED' || (err as Error)?.name === 'AbortError') {
    return new CancelledError(
      `extension ${d.extensionId}: cancelled while applying ${d.path}`,
      where,
    );
  }
  if (e?.code === 'ENGINE_BUILD_FAILED') {
    const line = e.step ? stepLine(e.step, b) : undefined;
    return new ExtenderError(
      'ERR_EXTENSION_BUILD_FAILED',
      `extension ${d.extensionId}: ${d.path}${line ? `:${line}` : ''}: ${e.message}`,
      { ...where, ...(e.step ? { step: e.step } : {}), ...(line ? { line } : {}) },
    );
  }
  return err as Error;
}
