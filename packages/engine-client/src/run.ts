/**
 * `run`, free of the create -> start -> wait race: create -> attach -> wait?condition=next-exit
 * with its response headers received (the daemon has registered the waiter) -> start -> exit code
 * -> remove. The container is removed on success, failure and abort alike; an abort kills it first.
 * A kill or removal that fails is reported as a `cleanup-failed` warning (opts.onWarning).
 */
import type { ContainerCreateSpec, OutputChunk, RunOptions, RunResult } from './api.js';
import type { Containers } from './containers.js';
import { AbortedError, ConflictError, EngineError, NotFoundError } from './errors.js';

async function pump(
  output: AsyncIterable<OutputChunk>,
  onOutput: ((chunk: OutputChunk) => void) | undefined,
): Promise<void> {
  for await (const chunk of output) onOutput?.(chunk);
}

/** Runs a clean-up step; a failure is reported through onWarning, never thrown or swallowed. */
async function cleanUp(
  action: 'kill' | 'remove',
  containerId: string,
  step: () => Promise<void>,
  onWarning: RunOptions['onWarning'],
): Promise<void> {
  try {
    await step();
  } catch (err) {
    // gone already (auto-removed) or already stopped: nothing was left behind
    if (err instanceof NotFoundError) return;
    if (action === 'kill' && err instanceof ConflictError) return;
    onWarning?.({
      type: 'cleanup-failed',
      action,
      containerId,
      message: err instanceof Error ? err.message : String(err),
      code: err instanceof EngineError ? err.code : undefined,
    });
  }
}

export async function runContainer(
  containers: Containers,
  spec: ContainerCreateSpec,
  opts: RunOptions,
): Promise<RunResult> {
  const { signal } = opts;
  // The create request is never cut off by the signal: given up on the client, it may still be
  // carried out by the engine, leaving a container the caller never heard of. Checked before it
  // goes out; once created, the container is in hand and cleaned up below.
  if (signal?.aborted) {
    throw new AbortedError('POST /containers/create aborted', {
      method: 'POST',
      path: '/containers/create',
      cause: signal.reason,
    });
  }
  const { Id: containerId } = await containers.create(
    { AttachStdout: true, AttachStderr: true, ...spec },
    opts.name ? { name: opts.name } : {},
  );
  let started = false;
  try {
    const session = await containers.attach(containerId, {
      stream: true,
      stdout: true,
      stderr: true,
      signal,
    });
    const output = pump(session.output, opts.onOutput);
    output.catch(() => undefined);
    // the wait is ended with the run: a container that could not be killed must not keep it open
    const waitAbort = new AbortController();
    const waitSignal = signal ? AbortSignal.any([signal, waitAbort.signal]) : waitAbort.signal;
    try {
      const waiting = await containers.waitHeaders(containerId, {
        condition: 'next-exit',
        signal: waitSignal,
      });
      if (opts.beforeStart) await opts.beforeStart(containerId);
      started = true;
      await containers.start(containerId, { signal });
      const [result] = await Promise.all([waiting.result, output]);
      if (typeof result.StatusCode !== 'number') {
        throw new EngineError(
          `waiting for container ${containerId} failed: ${result.Error?.Message ?? 'no exit code'}`,
        );
      }
      return { containerId, exitCode: result.StatusCode };
    } finally {
      waitAbort.abort();
      session.close();
    }
  } catch (err) {
    if (started) {
      await cleanUp('kill', containerId, () => containers.kill(containerId), opts.onWarning);
    }
    throw err;
  } finally {
    if (opts.remove ?? true) {
      await cleanUp(
        'remove',
        containerId,
        () => containers.remove(containerId, { force: true }),
        opts.onWarning,
      );
    }
  }
}
