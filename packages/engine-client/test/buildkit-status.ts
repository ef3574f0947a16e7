/**
 * A test-side encoder of `moby.buildkit.v1.StatusResponse`, written from control.proto's field
 * numbers with @bufbuild/protobuf's BinaryWriter: the decoder's tests encode what a daemon sends
 * and check it comes back. Times are epoch milliseconds, as in the decoded shapes.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export interface VertexInput {
  digest: string;
  inputs?: string[];
  name?: string;
  cached?: boolean;
  started?: number;
  completed?: number;
  error?: string;
  progressGroup?: { id: string; name: string; weak: boolean };
}

export interface StatusInput {
  id: string;
  vertex: string;
  name?: string;
  current?: number;
  total?: number;
  timestamp?: number;
  started?: number;
  completed?: number;
}

export interface LogInput {
  vertex: string;
  timestamp?: number;
  stream: number;
  msg: Uint8Array | string;
}

export interface WarningInput {
  vertex: string;
  level?: number;
  short?: string;
  detail?: string[];
  url?: string;
  info?: { filename: string; language?: string; data?: Uint8Array };
  ranges?: Array<{ start: [number, number]; end: [number, number] }>;
}

export interface StatusResponseInput {
  vertexes?: VertexInput[];
  statuses?: StatusInput[];
  logs?: LogInput[];
  warnings?: WarningInput[];
}

function time(w: BinaryWriter, field: number, ms: number | undefined): void {
  if (ms === undefined) return;
  w.tag(field, WireType.LengthDelimited).fork();
  w.tag(1, WireType.Varint).int64(Math.floor(ms / 1000));
  w.tag(2, WireType.Varint).int32((ms % 1000) * 1e6);
  w.join();
}

export function encodeStatusResponse(input: StatusResponseInput): Uint8Array {
  const w = new BinaryWriter();
  for (const v of input.vertexes ?? []) {
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(v.digest);
    for (const i of v.inputs ?? []) w.tag(2, WireType.LengthDelimited).string(i);
    if (v.name !== undefined) w.tag(3, WireType.LengthDelimited).string(v.name);
    if (v.cached) w.tag(4, WireType.Varint).bool(true);
    time(w, 5, v.started);
    time(w, 6, v.completed);
    if (v.error !== undefined) w.tag(7, WireType.LengthDelimited).string(v.error);
    if (v.progressGroup) {
      w.tag(8, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(v.progressGroup.id);
      w.tag(2, WireType.LengthDelimited).string(v.progressGroup.name);
      if (v.progressGroup.weak) w.tag(3, WireType.Varint).bool(true);
      w.join();
    }
    w.join();
  }
  for (const s of input.statuses ?? []) {
    w.tag(2, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(s.id);
    w.tag(2, WireType.LengthDelimited).string(s.vertex);
    if (s.name !== undefined) w.tag(3, WireType.LengthDelimited).string(s.name);
    if (s.current !== undefined) w.tag(4, WireType.Varint).int64(s.current);
    if (s.total !== undefined) w.tag(5, WireType.Varint).int64(s.total);
    time(w, 6, s.timestamp);
    time(w, 7, s.started);
    time(w, 8, s.completed);
    w.join();
  }
  for (const l of input.logs ?? []) {
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(l.vertex);
    time(w, 2, l.timestamp);
    w.tag(3, WireType.Varint).int64(l.stream);
    w.tag(4, WireType.LengthDelimited).bytes(
      typeof l.msg === 'string' ? new TextEncoder().encode(l.msg) : l.msg,
    );
    w.join();
  }
  for (const x of input.warnings ?? []) {
    w.tag(4, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(x.vertex);
    if (x.level !== undefined) w.tag(2, WireType.Varint).int64(x.level);
    if (x.short !== undefined)
      w.tag(3, WireType.LengthDelimited).bytes(new TextEncoder().encode(x.short));
    for (const d of x.detail ?? [])
      w.tag(4, WireType.LengthDelimited).bytes(new TextEncoder().encode(d));
    if (x.url !== undefined) w.tag(5, WireType.LengthDelimited).string(x.url);
    if (x.info) {
      w.tag(6, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(x.info.filename);
      if (x.info.data) w.tag(2, WireType.LengthDelimited).bytes(x.info.data);
      if (x.info.language !== undefined) w.tag(4, WireType.LengthDelimited).string(x.info.language);
      w.join();
    }
    for (const r of x.ranges ?? []) {
      w.tag(7, WireType.LengthDelimited).fork();
      for (const [field, [line, character]] of [
        [1, r.start],
        [2, r.end],
      ] as const) {
        w.tag(field, WireType.LengthDelimited).fork();
        w.tag(1, WireType.Varint).int32(line);
        w.tag(2, WireType.Varint).int32(character);
        w.join();
      }
      w.join();
    }
    w.join();
  }
  return w.finish();
}

/** An unknown field of every wire type, as a newer daemon might add: the decoder must skip them. */
export function unknownFields(): Uint8Array {
  const w = new BinaryWriter();
  w.tag(90, WireType.Varint).uint64(2n ** 63n);
  w.tag(91, WireType.Bit64).fixed64(7n);
  w.tag(92, WireType.LengthDelimited).bytes(new Uint8Array([1, 2, 3]));
  w.tag(93, WireType.Bit32).fixed32(9);
  w.tag(94, WireType.StartGroup).tag(1, WireType.Varint).int32(1).tag(94, WireType.EndGroup);
  return w.finish();
}
