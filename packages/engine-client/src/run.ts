/**
 * `run`, free of the create -> start -> wait race: create -> attach -> wait?condition=next-exit
 * with its response headers received (the daemon has registered the waiter) -> start -> exit code
 * -> remove. The container is removed on success, failure and abort alike; an abort kills it first.
 */
import type { ContainerCreateSpec, OutputChunk, RunOptions, RunResult } from './api.js';
import type { Containers } from './containers.js';
import { EngineError } from './errors.js';

async function pump(
  output: AsyncIterable<OutputChunk>,
  onOutput: ((chunk: OutputChunk) => void) | undefined,
): Promise<void> {
  for await (const chunk of output) onOutput?.(chunk);
}

export async function runContainer(
  containers: Containers,
  spec: ContainerCreateSpec,
  opts: RunOptions,
): Promise<RunResult> {
  const { signal } = opts;
  const { Id: containerId } = await containers.create(
    { AttachStdout: true, AttachStderr: true, ...spec },
    { ...(opts.name ? { name: opts.name } : {}), signal },
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
    try {
      const waiting = await containers.waitHeaders(containerId, { condition: 'next-exit', signal });
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
      session.close();
    }
  } catch (err) {
    if (started) await containers.kill(containerId).catch(() => undefined);
    throw err;
  } finally {
    if (opts.remove ?? true) {
      await containers.remove(containerId, { force: true }).catch(() => undefined);
    }
  }
}
