/**
 * Turns BuildKit's successive StatusResponses into our progress events. The daemon sends a vertex
 * several times (started, then completed or cached or failed, sometimes repeated unchanged); the
 * tracker emits a `vertex` event only when its state changes (a vertex can go done, then started
 * again, then cached: the FROM of a base the daemon has), keeps each vertex's name for its logs,
 * and decodes log bytes as UTF-8 per vertex and stream, emitting whole lines (a character or a
 * line split across chunks is joined). Counts the Dockerfile's steps and their cache hits, and
 * remembers the first vertex that failed.
 */
import { StringDecoder } from 'node:string_decoder';
import type { BuildProgressEvent } from '../api.js';
import { decodeStatusResponse, type StatusResponse, type StatusVertex } from './status-response.js';

type VertexState = 'started' | 'cached' | 'done' | 'error';

/** BuildKit's own bookkeeping vertexes: `[internal] load build definition from Dockerfile`... */
export function isInternalVertex(name: string): boolean {
  return name.startsWith('[internal]');
}

const STEP = /^\[(?:\S+ )?\d+\/\d+\] /;

/**
 * A vertex that is an instruction of the Dockerfile: `[2/3] RUN make`, `[stage-1 1/2] FROM x`.
 * Not the internal ones, nor `exporting to image` or `[auth] ...`: the steps the classic
 * builder would have counted.
 */
export function isDockerfileStep(name: string): boolean {
  return STEP.test(name);
}

interface Known {
  name: string;
  state: VertexState | undefined;
  startedAt: number | undefined;
  completedAt: number | undefined;
  counted: boolean;
  cachedCounted: boolean;
}

interface LogStream {
  decoder: StringDecoder;
  pending: string;
}

export interface FailedVertex {
  id: string;
  name: string;
  error: string;
}

function stateOf(v: StatusVertex): VertexState | undefined {
  if (v.error !== undefined) return 'error';
  if (v.cached) return 'cached';
  if (v.completed !== undefined) return 'done';
  if (v.started !== undefined) return 'started';
  return undefined;
}

export class TraceTracker {
  /** Vertexes that are Dockerfile instructions (isDockerfileStep), each counted once. */
  steps = 0;
  /** Of those, the ones BuildKit reported cached. */
  cacheHits = 0;
  /** The first vertex that failed, when one did. */
  failed: FailedVertex | undefined;
  readonly #vertexes = new Map<string, Known>();
  readonly #logs = new Map<string, LogStream>();
  readonly #onProgress: ((event: BuildProgressEvent) => void) | undefined;

  constructor(onProgress?: (event: BuildProgressEvent) => void) {
    this.#onProgress = onProgress;
  }

  /** The name BuildKit gave a vertex ('' while unknown). */
  nameOf(id: string): string {
    return this.#vertexes.get(id)?.name ?? '';
  }

  /** Decodes one trace message (the bytes of a StatusResponse) and consumes it. */
  readBytes(bytes: Uint8Array): BuildProgressEvent[] {
    return this.push(decodeStatusResponse(bytes));
  }

  /** Consumes one StatusResponse; returns the events it caused (also given to onProgress). */
  push(status: StatusResponse): BuildProgressEvent[] {
    const out: BuildProgressEvent[] = [];
    // starts first, so that logs sent with their vertex's first appearance come after its start
    // and carry its name; then logs; then the ends, so that a vertex's last output comes before
    // its done or error event
    for (const v of status.vertexes) if (v.digest !== '') this.#known(v);
    for (const v of status.vertexes) if (stateOf(v) === 'started') this.#vertex(v, out);
    for (const log of status.logs) this.#log(log.vertex, log.stream, log.msg, out);
    for (const v of status.vertexes) if (stateOf(v) !== 'started') this.#vertex(v, out);
    for (const event of out) this.#onProgress?.(event);
    return out;
  }

  /** Emits what is left of unfinished log lines. Call at the end of the build. */
  finish(): BuildProgressEvent[] {
    const out: BuildProgressEvent[] = [];
    for (const key of [...this.#logs.keys()]) this.#flushLog(key, out);
    for (const event of out) this.#onProgress?.(event);
    return out;
  }

  #known(v: StatusVertex): Known {
    let known = this.#vertexes.get(v.digest);
    if (!known) {
      known = {
        name: v.name,
        state: undefined,
        startedAt: undefined,
        completedAt: undefined,
        counted: false,
        cachedCounted: false,
      };
      this.#vertexes.set(v.digest, known);
    }
    if (v.name !== '') known.name = v.name;
    return known;
  }

  #vertex(v: StatusVertex, out: BuildProgressEvent[]): void {
    if (v.digest === '') return;
    const known = this.#known(v);
    const state = stateOf(v);
    if (state === undefined) return;
    if (isDockerfileStep(known.name)) {
      if (!known.counted) {
        known.counted = true;
        this.steps++;
      }
      if (state === 'cached' && !known.cachedCounted) {
        known.cachedCounted = true;
        this.cacheHits++;
      }
    }
    // the daemon re-sends a vertex with later times in the same state: one event per state
    if (state === known.state) return;
    known.state = state;
    known.startedAt = v.started;
    known.completedAt = v.completed;
    if (state !== 'started') this.#flushVertexLogs(v.digest, out);
    if (state === 'error' && !this.failed) {
      this.failed = { id: v.digest, name: known.name, error: v.error ?? '' };
    }
    out.push({
      type: 'vertex',
      id: v.digest,
      name: known.name,
      state,
      ...(v.started !== undefined ? { startedAt: v.started } : {}),
      ...(v.completed !== undefined ? { completedAt: v.completed } : {}),
      ...(v.error !== undefined ? { error: v.error } : {}),
    });
  }

  #log(id: string, stream: number, msg: Uint8Array, out: BuildProgressEvent[]): void {
    const key = `${stream}\u0000${id}`;
    let log = this.#logs.get(key);
    if (!log) {
      log = { decoder: new StringDecoder('utf8'), pending: '' };
      this.#logs.set(key, log);
    }
    const text =
      log.pending + log.decoder.write(Buffer.from(msg.buffer, msg.byteOffset, msg.length));
    const last = text.lastIndexOf('\n');
    if (last === -1) {
      log.pending = text;
      return;
    }
    log.pending = text.slice(last + 1);
    const name = this.nameOf(id);
    for (const line of text.slice(0, last).split('\n')) {
      out.push({ type: 'vertex-log', id, name, stream, text: `${line}\n` });
    }
  }

  #flushVertexLogs(id: string, out: BuildProgressEvent[]): void {
    for (const key of [...this.#logs.keys()]) {
      if (key.slice(key.indexOf('\u0000') + 1) === id) this.#flushLog(key, out);
    }
  }

  #flushLog(key: string, out: BuildProgressEvent[]): void {
    const log = this.#logs.get(key);
    if (!log) return;
    this.#logs.delete(key);
    const rest = log.pending + log.decoder.end();
    if (rest === '') return;
    const split = key.indexOf('\u0000');
    const id = key.slice(split + 1);
    out.push({
      type: 'vertex-log',
      id,
      name: this.nameOf(id),
      stream: Number(key.slice(0, split)),
      text: rest,
    });
  }
}
