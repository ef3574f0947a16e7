/**
 * fsutil's wire messages (github.com/tonistiigi/fsutil/types: wire.proto and stat.proto), which
 * FileSync.DiffCopy streams in both directions, written by hand on @bufbuild/protobuf's wire
 * primitives: two small messages do not warrant generated code (see docs/buildkit-session.md).
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export const PacketType = {
  STAT: 0,
  REQ: 1,
  DATA: 2,
  FIN: 3,
  ERR: 4,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** fsutil.types.Stat. `mode` carries Go's os.FileMode bits (see file-mode.ts). */
export interface FsStat {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  /** Unix time in nanoseconds. */
  modTime: bigint;
  linkname: string;
  devmajor: bigint;
  devminor: bigint;
  xattrs: Map<string, Uint8Array>;
}

/** fsutil.types.Packet. A STAT packet without `stat` ends the listing. */
export interface FsPacket {
  type: PacketType;
  stat?: FsStat;
  id: number;
  data: Uint8Array;
}

export function encodePacket(packet: Partial<FsPacket> & { type: PacketType }): Uint8Array {
  const w = new BinaryWriter();
  if (packet.type !== 0) w.tag(1, WireType.Varint).int32(packet.type);
  if (packet.stat) {
    w.tag(2, WireType.LengthDelimited).fork();
    writeStat(w, packet.stat);
    w.join();
  }
  if (packet.id) w.tag(3, WireType.Varint).uint32(packet.id);
  if (packet.data && packet.data.length > 0) w.tag(4, WireType.LengthDelimited).bytes(packet.data);
  return w.finish();
}

function writeStat(w: BinaryWriter, s: FsStat): void {
  if (s.path) w.tag(1, WireType.LengthDelimited).string(s.path);
  if (s.mode) w.tag(2, WireType.Varint).uint32(s.mode >>> 0);
  if (s.uid) w.tag(3, WireType.Varint).uint32(s.uid);
  if (s.gid) w.tag(4, WireType.Varint).uint32(s.gid);
  if (s.size) w.tag(5, WireType.Varint).int64(s.size);
  if (s.modTime) w.tag(6, WireType.Varint).int64(s.modTime);
  if (s.linkname) w.tag(7, WireType.LengthDelimited).string(s.linkname);
  if (s.devmajor) w.tag(8, WireType.Varint).int64(s.devmajor);
  if (s.devminor) w.tag(9, WireType.Varint).int64(s.devminor);
  for (const [key, value] of s.xattrs) {
    w.tag(10, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string(key);
    w.tag(2, WireType.LengthDelimited).bytes(value);
    w.join();
  }
}

export function decodePacket(bytes: Uint8Array): FsPacket {
  const r = new BinaryReader(bytes);
  const packet: FsPacket = { type: PacketType.STAT, id: 0, data: new Uint8Array(0) };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.Varint) packet.type = r.int32() as PacketType;
    else if (field === 2 && wire === WireType.LengthDelimited) packet.stat = readStat(r.bytes());
    else if (field === 3 && wire === WireType.Varint) packet.id = r.uint32();
    else if (field === 4 && wire === WireType.LengthDelimited) packet.data = r.bytes();
    else r.skip(wire, field);
  }
  return packet;
}

export function emptyStat(): FsStat {
  return {
    path: '',
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0n,
    modTime: 0n,
    linkname: '',
    devmajor: 0n,
    devminor: 0n,
    xattrs: new Map(),
  };
}

function readStat(bytes: Uint8Array): FsStat {
  const r = new BinaryReader(bytes);
  const s = emptyStat();
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    switch (wire === WireType.LengthDelimited || wire === WireType.Varint ? field : 0) {
      case 1:
        s.path = r.string();
        break;
      case 2:
        s.mode = r.uint32();
        break;
      case 3:
        s.uid = r.uint32();
        break;
      case 4:
        s.gid = r.uint32();
        break;
      case 5:
        s.size = BigInt(r.int64());
        break;
      case 6:
        s.modTime = BigInt(r.int64());
        break;
      case 7:
        s.linkname = r.string();
        break;
      case 8:
        s.devmajor = BigInt(r.int64());
        break;
      case 9:
        s.devminor = BigInt(r.int64());
        break;
      case 10: {
        const entry = new BinaryReader(r.bytes());
        let key = '';
        let value: Uint8Array = new Uint8Array(0);
        while (entry.pos < entry.len) {
          const [f, t] = entry.tag();
          if (f === 1 && t === WireType.LengthDelimited) key = entry.string();
          else if (f === 2 && t === WireType.LengthDelimited) value = entry.bytes();
          else entry.skip(t, f);
        }
        s.xattrs.set(key, value);
        break;
      }
      default:
        r.skip(wire, field);
    }
  }
  return s;
}
