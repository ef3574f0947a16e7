/**
 * `images.build(context, { builder: 'buildkit' })`: a session serving the context, the
 * Dockerfile and registry credentials, then `POST /build?version=2&remote=client-session` with
 * an empty body. The answer's JSON lines carry the trace (`moby.buildkit.trace`: base64
 * StatusResponse protobufs, turned into vertex events) and the image ID (`moby.image.id`).
 *
 * Cancelling (the AbortSignal) aborts the request, asks the daemon to cancel the build by its ID
 * (`POST /build/cancel`) and closes the session, in that order, before the call rejects.
 */
import { createHash, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { BuildOptions, BuildResult, DirectoryContext } from '../api.js';
import { buildQuery } from '../build-query.js';
import { readDockerignore } from '../context/directory-tar.js';
import {
  AbortedError,
  BuildError,
  BuildkitUnavailableError,
  type EngineError,
  StreamError,
} from '../errors.js';
import type { AuthSource } from '../images.js';
import { eachJsonLine } from '../streams/json-lines.js';
import type { Transport } from '../transport.js';
import {
  AUTH_CREDENTIALS,
  AUTH_UNIMPLEMENTED,
  credentialsHandler,
  unimplementedHandler,
} from './auth-service.js';
import { ContextSource } from './context-source.js';
import { diffCopyHandler } from './diff-copy.js';
import type { GrpcHandler } from './grpc-server.js';
import { HEALTH_CHECK, healthCheckHandler } from './health-service.js';
import { BuildkitSession } from './session.js';
import { TraceTracker } from './trace-tracker.js';

export const FILESYNC_DIFFCOPY = '/moby.filesync.v1.FileSync/DiffCopy';
/** The local names the Dockerfile frontend asks for with `remote=client-session`. */
/** A .dockerignore's text that also lists itself. */
function selfIgnoring(text: string): string {
  return `${text === '' || text.endsWith('\n') ? text : `${text}\n`}.dockerignore\n`;
}

/** The context of a build whose DirectoryContext has only files: nothing to COPY. */
const EMPTY_CONTEXT = new ContextSource({ files: {} });
const TRACE_ID = 'moby.buildkit.trace';
const IMAGE_ID = 'moby.image.id';
const CANCEL_TIMEOUT_MS = 10_000;

interface BuildkitMessage {
  id?: unknown;
  aux?: unknown;
  stream?: unknown;
  error?: unknown;
  errorDetail?: { message?: unknown } | unknown;
}

export async function buildkitBuild(
  t: Transport,
  auth: AuthSource,
  context: DirectoryContext,
  opts: BuildOptions,
): Promise<BuildResult> {
  const signal = opts.signal;
  // settled below, after the session opened; a rejection meanwhile is not unhandled
  opts.after?.catch(() => undefined);
  // `files` (the Dockerfile, and files only the frontend reads) make the `dockerfile` source and
  // are never part of what COPY sees; `dir` is the `context` source (and the `dockerfile` one
  // when there are no files, for a Dockerfile inside it).
  const source = new ContextSource(context);
  await source.check();
  const hasFiles = Object.keys(context.files ?? {}).length > 0;
  const dockerfileSource = hasFiles ? new ContextSource({ files: context.files ?? {} }) : source;
  // The context's own .dockerignore stays out of COPY, as on the classic builder (directoryTar).
  const contextSource =
    context.dir !== undefined
      ? new ContextSource({
          dir: context.dir,
          files: { '.dockerignore': selfIgnoring((await readDockerignore(context.dir)).text) },
        })
      : EMPTY_CONTEXT;
  const connection = await t.connection();
  const apiVersion = await t.apiVersion(signal);
  if (signal?.aborted) throw new AbortedError('POST /session aborted', { cause: signal.reason });

  // The first failure on our side (a file that cannot be read...) is the build's error.
  let localError: EngineError | undefined;
  let dropped: Error | undefined;
  const stop = new AbortController();
  const onLocalError = (err: EngineError) => {
    localError ??= err;
  };
  const credentialWarnings = new Set<string>();
  const handlers = new Map<string, GrpcHandler>([
    [HEALTH_CHECK, healthCheckHandler],
    [
      FILESYNC_DIFFCOPY,
      diffCopyHandler({
        lookup: (name) =>
          name === 'dockerfile' ? dockerfileSource : name === 'context' ? contextSource : undefined,
        onLocalError,
      }),
    ],
    [
      AUTH_CREDENTIALS,
      credentialsHandler(
        (host) => auth.authFor(`https://${host}`),
        (host, err) => {
          if (credentialWarnings.has(host)) return;
          credentialWarnings.add(host);
          opts.onProgress?.({
            type: 'warning',
            message: `registry credentials for ${host} skipped: ${(err as Error).message}`,
          });
        },
      ),
    ],
    ...AUTH_UNIMPLEMENTED.map((path) => [path, unimplementedHandler] as const),
  ]);
  const session = await BuildkitSession.open({
    connection,
    apiVersion,
    handlers,
    sharedKey: sharedKeyOf(context),
    signal,
    onDropped: (err) => {
      dropped = err;
      stop.abort(err);
    },
  });

  if (opts.after) {
    try {
      await opts.after;
    } catch (err) {
      await session.close();
      throw err;
    }
  }
  const buildId = randomUUID();
  const requestSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const transcript: string[] = [];
  const tracker = new TraceTracker((event) => {
    if (event.type === 'vertex-log') transcript.push(...logLines(event.text));
    opts.onProgress?.(event);
  });
  let imageId: string | undefined;
  let daemonError: string | undefined;
  try {
    const res = await t.request({
      method: 'POST',
      path: '/build',
      query: {
        version: '2',
        session: session.id,
        remote: 'client-session',
        dockerfile: opts.dockerfile ?? 'Dockerfile',
        buildid: buildId,
        ...buildQuery(opts),
      },
      untimed: true,
      signal: requestSignal,
    });
    try {
      await eachJsonLine(res.body, (value) => {
        const msg = (value ?? {}) as BuildkitMessage;
        if (msg.id === TRACE_ID && typeof msg.aux === 'string') {
          tracker.readBytes(Buffer.from(msg.aux, 'base64'));
        } else if (msg.id === IMAGE_ID && msg.aux && typeof msg.aux === 'object') {
          const id = (msg.aux as { ID?: unknown }).ID;
          if (typeof id === 'string') {
            imageId = id;
            opts.onProgress?.({ type: 'aux', id });
          }
        } else if (typeof msg.stream === 'string') {
          opts.onProgress?.({ type: 'output', text: msg.stream });
          for (const line of msg.stream.split('\n').filter((l) => l !== '')) transcript.push(line);
        }
        const detail = msg.errorDetail as { message?: unknown } | undefined;
        const error =
          detail && typeof detail === 'object' && typeof detail.message === 'string'
            ? detail.message
            : typeof msg.error === 'string'
              ? msg.error
              : undefined;
        if (error !== undefined) daemonError ??= error;
      });
    } finally {
      res.destroy();
    }
  } catch (err) {
    if (signal?.aborted) {
      await cancelBuild(t, buildId);
      await session.close();
      throw new AbortedError('POST /build aborted', { method: 'POST', path: '/build', cause: err });
    }
    await cancelBuild(t, buildId);
    await session.close();
    if (localError) throw localError;
    if (dropped) throw sessionDropped(dropped, transcript);
    throw unavailableOr(err);
  }
  tracker.finish();
  await session.close();
  if (localError) throw localError;
  if (daemonError !== undefined) {
    const failed = tracker.failed;
    throw new BuildError(daemonError, {
      method: 'POST',
      path: '/build',
      statusCode: 200,
      ...(failed?.name ? { step: failed.name } : {}),
      transcript,
    });
  }
  if (!imageId) {
    // a session that went before the image was reported is why the build ended without it
    if (dropped) throw sessionDropped(dropped, transcript);
    throw new StreamError(
      'the BuildKit build ended without reporting an image ID (moby.image.id)',
      {
        method: 'POST',
        path: '/build',
      },
    );
  }
  return {
    imageId,
    transcript,
    steps: tracker.steps,
    cacheHits: tracker.cacheHits,
    newImageIds: [],
  };
}

/** A log event's text as transcript lines (a trailing newline ends a line, it adds none). */
function logLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * The daemon keeps what earlier builds sent under this key and asks only for what changed: the
 * context directory's absolute path, as the docker CLI keys it.
 */
function sharedKeyOf(context: DirectoryContext): string {
  const basis = context.dir !== undefined ? resolve(context.dir) : `files:${randomUUID()}`;
  return createHash('sha256').update(basis).digest('hex');
}

/** Best effort: the build may have ended already, or the daemon may be gone. */
async function cancelBuild(t: Transport, buildId: string): Promise<void> {
  try {
    await t.call({
      method: 'POST',
      path: '/build/cancel',
      query: { id: buildId },
      signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
    });
  } catch {
    // nothing to cancel, or nobody to tell
  }
}

function sessionDropped(cause: Error, transcript: string[]): BuildError {
  return new BuildError(
    `the engine closed the BuildKit session during the build (${cause.message})`,
    {
      method: 'POST',
      path: '/session',
      transcript,
      cause,
    },
  );
}

/**
 * A daemon built without BuildKit (dockerd on Windows) refuses version=2 builds with "buildkit
 * not supported"; other refusals (a bad platform...) stay the typed errors they are.
 */
function unavailableOr(err: unknown): unknown {
  const e = err as EngineError | undefined;
  const message = e?.daemonMessage ?? '';
  if (e?.statusCode !== undefined && /buildkit.*not (supported|enabled)/i.test(message)) {
    return new BuildkitUnavailableError(
      `POST /build?version=2 answered ${e.statusCode}: ${message}`,
      {
        method: 'POST',
        path: '/build',
        statusCode: e.statusCode,
        cause: err,
      },
    );
  }
  return err;
}
