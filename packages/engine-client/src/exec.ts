/**
 * `exec`: a process in a running container, to its end. POST /containers/{id}/exec, then
 * POST /exec/{id}/start through an HTTP upgrade (the output arrives multiplexed on the raw
 * socket, as attach's), then GET /exec/{id}/json for the exit code.
 */
import type { ExecOptions, ExecResult, ExecSpec, OutputChunk } from './api.js';
import { upgrade } from './attach.js';
import { AbortedError, EngineError, transportError } from './errors.js';
import { pathSegment } from './query.js';
import { demux } from './streams/demux.js';
import type { Transport } from './transport.js';

interface ExecInspect {
  Running: boolean;
  ExitCode: number | null;
}

/** How long the daemon may go on calling an exec running after its streams ended. */
const EXIT_POLL_MS = [5, 10, 20, 40, 80, 160, 320, 640];

export async function execInContainer(
  t: Transport,
  containerId: string,
  spec: ExecSpec,
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const { signal } = opts;
  const { Id: execId } = await t.json<{ Id: string }>({
    method: 'POST',
    path: `/containers/${pathSegment(containerId)}/exec`,
    json: { AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false, ...spec },
    signal,
  });
  const connection = await t.connection();
  const version = await t.apiVersion(signal);
  const apiPath = `/exec/${pathSegment(execId)}/start`;
  const ctx = { method: 'POST', path: apiPath, host: connection.endpoint.host, signal };
  const { socket } = await upgrade(connection, {
    path: `/v${version}${apiPath}`,
    apiPath,
    signal,
    json: { Detach: false, Tty: false },
  });
  const onAbort = () => socket.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    async function* bytes(): AsyncGenerator<Buffer> {
      for await (const chunk of socket) yield chunk as Buffer;
    }
    try {
      for await (const chunk of demux({
        [Symbol.asyncIterator]: bytes,
      }) as AsyncIterable<OutputChunk>) {
        opts.onOutput?.(chunk);
      }
    } catch (err) {
      if (signal?.aborted) throw aborted(apiPath, signal.reason);
      throw transportError(err, ctx);
    }
    if (signal?.aborted) throw aborted(apiPath, signal.reason);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
  for (let i = 0; ; i++) {
    const info = await t.json<ExecInspect>({
      method: 'GET',
      path: `/exec/${pathSegment(execId)}/json`,
      signal,
    });
    if (!info.Running && typeof info.ExitCode === 'number')
      return { execId, exitCode: info.ExitCode };
    const delay = EXIT_POLL_MS[i];
    if (delay === undefined) {
      throw new EngineError(
        `exec ${execId} in container ${containerId}: its output ended but the engine reports no exit code`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

function aborted(path: string, reason: unknown): AbortedError {
  return new AbortedError(`POST ${path} aborted`, { method: 'POST', path, cause: reason });
}
