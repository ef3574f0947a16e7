/** A small seeded generator (mulberry32), so property tests are random yet reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Splits `data` at random points (sizes 0..maxChunk, empty chunks included). */
export function randomChunks(random: () => number, data: Buffer, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    const size = between(random, 0, maxChunk);
    chunks.push(data.subarray(pos, pos + size));
    pos += size;
  }
  return chunks;
}

/** Random bytes, including every byte value (so frame payloads contain fake headers too). */
export function randomBytes(random: () => number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(random() * 256);
  return out;
}
