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

/** How often, and how long at most, the exit code is asked for after the output ended. */
const EXIT_POLL_MS = [5, 10, 20, 40, 80, 160, 320, 640, 1000];
const EXIT_WAIT_MS = 10_000;
/** How often the exec is looked at while its output streams (the last interval repeated). */
const WATCH_MS = [200, 400, 800, 1000];
/** How long the output may be silent once the process exited before it is taken as ended. */
const DRAIN_MS = 200;

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
  if (signal?.aborted) onAbort();
  // A process the exec'd one left behind (`cmd &`) may hold its output open after it exited: the
  // stream would not end (Docker ends it 2 s later, others may never). So the exec is watched
  // while its output streams; once the engine says it exited, what is left of the output gets
  // DRAIN_MS and the stream is closed.
  let exited = false;
  let lastData = performance.now();
  const watch = new AbortController();
  const watching = watchExit(t, execId, watch.signal).then((exit) => {
    if (exit === undefined) return;
    exited = true;
    // Output still coming is read to its end: closed only after DRAIN_MS without any.
    const idle = setInterval(() => {
      if (performance.now() - lastData < DRAIN_MS) return;
      clearInterval(idle);
      socket.destroy();
    }, DRAIN_MS / 4);
    idle.unref();
    watch.signal.addEventListener('abort', () => clearInterval(idle), { once: true });
  });
  watching.catch(() => undefined);
  try {
    async function* bytes(): AsyncGenerator<Buffer> {
      for await (const chunk of socket) {
        lastData = performance.now();
        yield chunk as Buffer;
      }
    }
    try {
      for await (const chunk of demux({
        [Symbol.asyncIterator]: bytes,
      }) as AsyncIterable<OutputChunk>) {
        opts.onOutput?.(chunk);
      }
    } catch (err) {
      if (signal?.aborted) throw aborted(apiPath, signal.reason);
      if (!exited) throw transportError(err, ctx);
    }
    if (signal?.aborted) throw aborted(apiPath, signal.reason);
  } finally {
    watch.abort();
    signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
  let waited = 0;
  for (let i = 0; ; i++) {
    const info = await t.json<ExecInspect>({
      method: 'GET',
      path: `/exec/${pathSegment(execId)}/json`,
      signal,
    });
    if (!info.Running && typeof info.ExitCode === 'number')
      return { execId, exitCode: info.ExitCode };
    const delay = EXIT_POLL_MS[Math.min(i, EXIT_POLL_MS.length - 1)] as number;
    if (waited >= EXIT_WAIT_MS) {
      throw new EngineError(
        `exec ${execId} in container ${containerId}: its output ended but the engine reports no exit code after ${EXIT_WAIT_MS / 1000} s`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    waited += delay;
  }
}

/**
 * Resolves with the exit code once the engine reports the exec ended (undefined when `stop`
 * aborts first); looks every WATCH_MS[i] ms, the last interval repeated.
 */
async function watchExit(
  t: Transport,
  execId: string,
  stop: AbortSignal,
): Promise<number | undefined> {
  for (let i = 0; !stop.aborted; i++) {
    const delay = WATCH_MS[Math.min(i, WATCH_MS.length - 1)] as number;
    await new Promise((r) => setTimeout(r, delay));
    if (stop.aborted) return undefined;
    const info = await t
      .json<ExecInspect>({ method: 'GET', path: `/exec/${pathSegment(execId)}/json`, signal: stop })
      .catch(() => undefined);
    if (info && !info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
  }
  return undefined;
}

function aborted(path: string, reason: unknown): AbortedError {
  return new AbortedError(`POST ${path} aborted`, { method: 'POST', path, cause: reason });
}
