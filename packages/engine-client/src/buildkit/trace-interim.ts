/**
 * INTERIM, to be deleted: a minimal reading of the `moby.buildkit.trace` StatusResponse (vertexes
 * and logs only) until the full decoder and TraceTracker (status-response.ts, trace-tracker.ts,
 * written on another branch) land; buildkit-build.ts then imports TraceTracker instead. Same
 * surface as that tracker: readBytes(), finish(), steps, cacheHits, failed.
 */
import { StringDecoder } from 'node:string_decoder';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { BuildProgressEvent } from '../api.js';

interface Vertex {
  digest: string;
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  error: string;
}

function timestampMs(bytes: Uint8Array): number {
  const r = new BinaryReader(bytes);
  let seconds = 0;
  let nanos = 0;
  while (r.pos < r.len) {
    const [f, t] = r.tag();
    if (f === 1 && t === WireType.Varint) seconds = Number(r.int64());
    else if (f === 2 && t === WireType.Varint) nanos = r.int32();
    else r.skip(t, f);
  }
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

function decode(bytes: Uint8Array): {
  vertexes: Vertex[];
  logs: { vertex: string; stream: number; msg: Uint8Array }[];
} {
  const r = new BinaryReader(bytes);
  const vertexes: Vertex[] = [];
  const logs: { vertex: string; stream: number; msg: Uint8Array }[] = [];
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) {
      const v = new BinaryReader(r.bytes());
      const vertex: Vertex = { digest: '', name: '', cached: false, error: '' };
      while (v.pos < v.len) {
        const [f, t] = v.tag();
        if (f === 1 && t === WireType.LengthDelimited) vertex.digest = v.string();
        else if (f === 3 && t === WireType.LengthDelimited) vertex.name = v.string();
        else if (f === 4 && t === WireType.Varint) vertex.cached = v.bool();
        else if (f === 5 && t === WireType.LengthDelimited) vertex.started = timestampMs(v.bytes());
        else if (f === 6 && t === WireType.LengthDelimited)
          vertex.completed = timestampMs(v.bytes());
        else if (f === 7 && t === WireType.LengthDelimited) vertex.error = v.string();
        else v.skip(t, f);
      }
      vertexes.push(vertex);
    } else if (field === 3 && wire === WireType.LengthDelimited) {
      const l = new BinaryReader(r.bytes());
      const log: { vertex: string; stream: number; msg: Uint8Array } = {
        vertex: '',
        stream: 0,
        msg: new Uint8Array(0),
      };
      while (l.pos < l.len) {
        const [f, t] = l.tag();
        if (f === 1 && t === WireType.LengthDelimited) log.vertex = l.string();
        else if (f === 3 && t === WireType.Varint) log.stream = Number(l.int64());
        else if (f === 4 && t === WireType.LengthDelimited) log.msg = l.bytes();
        else l.skip(t, f);
      }
      logs.push(log);
    } else r.skip(wire, field);
  }
  return { vertexes, logs };
}

export class TraceTracker {
  steps = 0;
  cacheHits = 0;
  failed: { id: string; name: string; error: string } | undefined;
  readonly #names = new Map<string, string>();
  readonly #states = new Map<string, string>();
  readonly #counted = new Set<string>();
  readonly #decoders = new Map<string, { decoder: StringDecoder; pending: string }>();
  readonly #onProgress: ((event: BuildProgressEvent) => void) | undefined;

  constructor(onProgress?: (event: BuildProgressEvent) => void) {
    this.#onProgress = onProgress;
  }

  nameOf(id: string): string {
    return this.#names.get(id) ?? '';
  }

  readBytes(bytes: Uint8Array): BuildProgressEvent[] {
    const { vertexes, logs } = decode(bytes);
    const out: BuildProgressEvent[] = [];
    for (const v of vertexes) if (v.name) this.#names.set(v.digest, v.name);
    for (const log of logs) {
      const key = `${log.vertex}\0${log.stream}`;
      let d = this.#decoders.get(key);
      if (!d) {
        d = { decoder: new StringDecoder('utf8'), pending: '' };
        this.#decoders.set(key, d);
      }
      const lines = (d.pending + d.decoder.write(Buffer.from(log.msg))).split('\n');
      d.pending = lines.pop() ?? '';
      for (const line of lines) {
        const text = `${line}\n`;
        out.push({
          type: 'vertex-log',
          id: log.vertex,
          name: this.nameOf(log.vertex),
          stream: log.stream,
          text,
        });
      }
    }
    for (const v of vertexes) {
      const state = v.error
        ? 'error'
        : v.cached
          ? 'cached'
          : v.completed
            ? 'done'
            : v.started
              ? 'started'
              : undefined;
      if (!state || this.#states.get(v.digest) === state) continue;
      this.#states.set(v.digest, state);
      const name = this.nameOf(v.digest);
      // Dockerfile instructions only ('[2/3] RUN make'), as the classic builder counts steps
      const step = /^\[(?:\S+ )?\d+\/\d+\] /.test(name);
      if (step && !this.#counted.has(v.digest)) {
        this.#counted.add(v.digest);
        this.steps++;
      }
      if (state === 'cached' && step) this.cacheHits++;
      if (state === 'error' && !this.failed) this.failed = { id: v.digest, name, error: v.error };
      out.push({
        type: 'vertex',
        id: v.digest,
        name,
        state,
        ...(v.started !== undefined ? { startedAt: v.started } : {}),
        ...(v.completed !== undefined ? { completedAt: v.completed } : {}),
        ...(v.error ? { error: v.error } : {}),
      });
    }
    for (const e of out) this.#onProgress?.(e);
    return out;
  }

  finish(): BuildProgressEvent[] {
    const out: BuildProgressEvent[] = [];
    for (const [key, d] of this.#decoders) {
      const text = d.pending + d.decoder.end();
      if (text) {
        const [id = '', stream = '0'] = key.split('\0');
        out.push({ type: 'vertex-log', id, name: this.nameOf(id), stream: Number(stream), text });
      }
    }
    this.#decoders.clear();
    for (const e of out) this.#onProgress?.(e);
    return out;
  }
}
