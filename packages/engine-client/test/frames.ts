/** Builds multiplexed-stream frames: `[type, 0, 0, 0, size u32 BE]` + payload. */
export function frame(type: number, payload: string | Buffer): Buffer {
  const data = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}
