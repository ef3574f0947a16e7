/**
 * Decodes BuildKit's build trace: the protobuf `moby.buildkit.v1.StatusResponse` (moby/buildkit
 * api/services/control/control.proto) that the daemon sends, base64 in the `aux` of
 * `moby.buildkit.trace` messages. Shapes are hand-written (only what we read); the wire reading is
 * @bufbuild/protobuf's BinaryReader. Unknown fields, and known fields with an unexpected wire type,
 * are skipped as protobuf requires; truncated or malformed bytes are a StreamError.
 *
 * Times (google.protobuf.Timestamp) become epoch milliseconds.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { StreamError } from '../errors.js';

/** A vertex of the build graph: a Dockerfile step such as `[2/3] RUN make`, or an internal one. */
export interface StatusVertex {
  digest: string;
  inputs: string[];
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  /** Why the vertex failed; absent when it did not. */
  error?: string;
  progressGroup?: { id: string; name: string; weak: boolean };
}

/** Progress of one piece of work inside a vertex (a layer pulled, a file transferred). */
export interface StatusVertexStatus {
  id: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  timestamp?: number;
  started?: number;
  completed?: number;
}

/** Output of a vertex: `stream` 1 stdout, 2 stderr; `msg` raw bytes (a chunk, not a line). */
export interface StatusVertexLog {
  vertex: string;
  timestamp?: number;
  stream: number;
  msg: Uint8Array;
}

export interface StatusSourceInfo {
  filename: string;
  language: string;
  data: Uint8Array;
}

export interface StatusRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** A build check's warning (e.g. a Dockerfile lint rule), with where it points. */
export interface StatusVertexWarning {
  vertex: string;
  level: number;
  short: string;
  detail: string[];
  url: string;
  info?: StatusSourceInfo;
  ranges: StatusRange[];
}

export interface StatusResponse {
  vertexes: StatusVertex[];
  statuses: StatusVertexStatus[];
  logs: StatusVertexLog[];
  warnings: StatusVertexWarning[];
}

const WHAT = 'BuildKit status (moby.buildkit.v1.StatusResponse)';
const utf8 = new TextDecoder('utf-8');

/** Decodes one StatusResponse; a StreamError if the bytes are not one. */
export function decodeStatusResponse(bytes: Uint8Array): StatusResponse {
  const reader = new BinaryReader(bytes);
  const out: StatusResponse = { vertexes: [], statuses: [], logs: [], warnings: [] };
  try {
    fields(reader, bytes.length, (field, wire) => {
      if (wire !== WireType.LengthDelimited) return false;
      if (field === 1) out.vertexes.push(message(reader, vertex));
      else if (field === 2) out.statuses.push(message(reader, vertexStatus));
      else if (field === 3) out.logs.push(message(reader, vertexLog));
      else if (field === 4) out.warnings.push(message(reader, vertexWarning));
      else return false;
      return true;
    });
  } catch (cause) {
    if (cause instanceof StreamError) throw cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new StreamError(`malformed ${WHAT} near byte ${reader.pos} of ${bytes.length}: ${why}`, {
      cause,
    });
  }
  return out;
}

/**
 * Reads the fields up to `end`; `read` consumes a field it knows and returns true, or returns false
 * for the field to be skipped. Every read is bounds-checked (the reader's varints are not).
 */
function fields(
  reader: BinaryReader,
  end: number,
  read: (field: number, wire: WireType) => boolean,
): void {
  while (reader.pos < end) {
    const [field, wire] = reader.tag();
    within(reader, end);
    if (wire === WireType.EndGroup) throw new StreamError(`unexpected end-group tag in ${WHAT}`);
    if (!read(field, wire)) {
      const start = reader.pos;
      reader.skip(wire, field);
      if (wire === WireType.Varint && reader.pos - start > 10) {
        throw new StreamError(`malformed ${WHAT}: a varint longer than 10 bytes at byte ${start}`);
      }
    }
    within(reader, end);
  }
}

function within(reader: BinaryReader, end: number): void {
  if (reader.pos > end) {
    throw new StreamError(
      `malformed ${WHAT}: a field runs past the end of its message (byte ${reader.pos} of ${end})`,
    );
  }
}

/** Reads a length-delimited embedded message with `decode`. */
function message<T>(reader: BinaryReader, decode: (reader: BinaryReader, end: number) => T): T {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) {
    throw new StreamError(
      `malformed ${WHAT}: a message of ${length} bytes at byte ${reader.pos} runs past the end (${reader.len} bytes)`,
    );
  }
  return decode(reader, end);
}

function str(reader: BinaryReader): string {
  return reader.string();
}

function int(reader: BinaryReader): number {
  return Number(reader.int64());
}

function text(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** google.protobuf.Timestamp as epoch milliseconds. */
function timestamp(reader: BinaryReader, end: number): number {
  let seconds = 0;
  let nanos = 0;
  fields(reader, end, (field, wire) => {
    if (wire !== WireType.Varint) return false;
    if (field === 1) seconds = int(reader);
    else if (field === 2) nanos = reader.int32();
    else return false;
    return true;
  });
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

function vertex(reader: BinaryReader, end: number): StatusVertex {
  const v: StatusVertex = { digest: '', inputs: [], name: '', cached: false };
  fields(reader, end, (field, wire) => {
    if (field === 4 && wire === WireType.Varint) {
      v.cached = reader.bool();
      return true;
    }
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 1) v.digest = str(reader);
    else if (field === 2) v.inputs.push(str(reader));
    else if (field === 3) v.name = str(reader);
    else if (field === 5) v.started = message(reader, timestamp);
    else if (field === 6) v.completed = message(reader, timestamp);
    else if (field === 7) {
      const error = str(reader);
      if (error !== '') v.error = error;
    } else if (field === 8) v.progressGroup = message(reader, progressGroup);
    else return false;
    return true;
  });
  return v;
}

function progressGroup(reader: BinaryReader, end: number): StatusVertex['progressGroup'] {
  const group = { id: '', name: '', weak: false };
  fields(reader, end, (field, wire) => {
    if (field === 3 && wire === WireType.Varint) group.weak = reader.bool();
    else if (wire !== WireType.LengthDelimited) return false;
    else if (field === 1) group.id = str(reader);
    else if (field === 2) group.name = str(reader);
    else return false;
    return true;
  });
  return group;
}

function vertexStatus(reader: BinaryReader, end: number): StatusVertexStatus {
  const s: StatusVertexStatus = { id: '', vertex: '', name: '', current: 0, total: 0 };
  fields(reader, end, (field, wire) => {
    if (wire === WireType.Varint) {
      if (field === 4) s.current = int(reader);
      else if (field === 5) s.total = int(reader);
      else return false;
      return true;
    }
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 1) s.id = str(reader);
    else if (field === 2) s.vertex = str(reader);
    else if (field === 3) s.name = str(reader);
    else if (field === 6) s.timestamp = message(reader, timestamp);
    else if (field === 7) s.started = message(reader, timestamp);
    else if (field === 8) s.completed = message(reader, timestamp);
    else return false;
    return true;
  });
  return s;
}

function vertexLog(reader: BinaryReader, end: number): StatusVertexLog {
  const log: StatusVertexLog = { vertex: '', stream: 0, msg: new Uint8Array(0) };
  fields(reader, end, (field, wire) => {
    if (field === 3 && wire === WireType.Varint) log.stream = int(reader);
    else if (wire !== WireType.LengthDelimited) return false;
    else if (field === 1) log.vertex = str(reader);
    else if (field === 2) log.timestamp = message(reader, timestamp);
    else if (field === 4) log.msg = reader.bytes();
    else return false;
    return true;
  });
  return log;
}

function vertexWarning(reader: BinaryReader, end: number): StatusVertexWarning {
  const w: StatusVertexWarning = {
    vertex: '',
    level: 0,
    short: '',
    detail: [],
    url: '',
    ranges: [],
  };
  fields(reader, end, (field, wire) => {
    if (field === 2 && wire === WireType.Varint) w.level = int(reader);
    else if (wire !== WireType.LengthDelimited) return false;
    else if (field === 1) w.vertex = str(reader);
    else if (field === 3) w.short = text(reader.bytes());
    else if (field === 4) w.detail.push(text(reader.bytes()));
    else if (field === 5) w.url = str(reader);
    else if (field === 6) w.info = message(reader, sourceInfo);
    else if (field === 7) w.ranges.push(message(reader, range));
    else return false;
    return true;
  });
  return w;
}

/** pb.SourceInfo: the file a warning points into (its `definition` is skipped). */
function sourceInfo(reader: BinaryReader, end: number): StatusSourceInfo {
  const info: StatusSourceInfo = { filename: '', language: '', data: new Uint8Array(0) };
  fields(reader, end, (field, wire) => {
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 1) info.filename = str(reader);
    else if (field === 2) info.data = reader.bytes();
    else if (field === 4) info.language = str(reader);
    else return false;
    return true;
  });
  return info;
}

function range(reader: BinaryReader, end: number): StatusRange {
  const r: StatusRange = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  fields(reader, end, (field, wire) => {
    if (wire !== WireType.LengthDelimited) return false;
    if (field === 1) r.start = message(reader, position);
    else if (field === 2) r.end = message(reader, position);
    else return false;
    return true;
  });
  return r;
}

function position(reader: BinaryReader, end: number): { line: number; character: number } {
  const p = { line: 0, character: 0 };
  fields(reader, end, (field, wire) => {
    if (wire !== WireType.Varint) return false;
    if (field === 1) p.line = reader.int32();
    else if (field === 2) p.character = reader.int32();
    else return false;
    return true;
  });
  return p;
}
