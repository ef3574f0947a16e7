/** Deterministic in-memory streams: multiplexed log frames and JSON progress lines. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The seeded PRNG the tests use too, so every run and every child sees the same bytes.
import { prng } from '@imgext/test-support';

const FIXTURE_DIR = 'BENCH_FIXTURE_DIR';

/** Where a child finds the fixture the parent wrote (generated once, not per child). */
export function fixtureFile(name: 'demux' | 'json-lines'): string {
  const dir = process.env[FIXTURE_DIR];
  if (!dir) throw new Error(`${FIXTURE_DIR} is not set: run the benchmark through run.ts`);
  return join(dir, `${name}.bin`);
}

/** Writes both fixtures into a temporary folder for the children; returns its cleanup. */
export function writeFixtures(demuxBytes: number, jsonBytes: number): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'imgext-bench-'));
  writeFileSync(join(dir, 'demux.bin'), logFrames(demuxBytes).data);
  writeFileSync(join(dir, 'json-lines.bin'), progressLines(jsonBytes).data);
  process.env[FIXTURE_DIR] = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env[FIXTURE_DIR];
  };
}

const WORDS =
  'the quick brown fox jumps over a lazy dog while INFO WARN DEBUG request served in ms id'.split(
    ' ',
  );

/**
 * About `bytes` of a logs/attach stream as the daemon sends it: one frame per log line (40-200
 * bytes, like a real application's), nine in ten on stdout, the rest on stderr.
 */
export function logFrames(bytes: number): { data: Buffer; payloadBytes: number } {
  const rand = prng(1);
  const parts: Buffer[] = [];
  let total = 0;
  let payloadBytes = 0;
  while (total < bytes) {
    let line = `2026-11-29T05:00:00.${String(Math.floor(rand() * 1e6)).padStart(6, '0')}Z`;
    const target = 40 + Math.floor(rand() * 160);
    while (line.length < target) line += ` ${WORDS[Math.floor(rand() * WORDS.length)]}`;
    const payload = Buffer.from(`${line}\n`);
    const header = Buffer.alloc(8);
    header[0] = rand() < 0.9 ? 1 : 2;
    header.writeUInt32BE(payload.length, 4);
    parts.push(header, payload);
    total += 8 + payload.length;
    payloadBytes += payload.length;
  }
  return { data: Buffer.concat(parts), payloadBytes };
}

/** About `bytes` of pull/build progress lines (CRLF-terminated, as the daemon writes them). */
export function progressLines(bytes: number): { data: Buffer; lines: number } {
  const rand = prng(2);
  const parts: string[] = [];
  let total = 0;
  let lines = 0;
  while (total < bytes) {
    const id = Math.floor(rand() * 0xffffffffffff)
      .toString(16)
      .padStart(12, '0');
    const total_ = 1_000_000 + Math.floor(rand() * 50_000_000);
    const current = Math.floor(rand() * total_);
    const bar = '='.repeat(Math.floor((current / total_) * 50)).padEnd(50);
    const line = `${JSON.stringify({
      status: 'Downloading',
      progressDetail: { current, total: total_ },
      progress: `[${bar.slice(0, -1)}>] ${(current / 1e6).toFixed(1)}MB/${(total_ / 1e6).toFixed(1)}MB`,
      id,
    })}\r\n`;
    parts.push(line);
    total += line.length;
    lines++;
  }
  return { data: Buffer.from(parts.join('')), lines };
}

/** Views of `data` in socket-sized chunks (64 KiB: what a unix socket read gives). */
export function chunks(data: Buffer, size = 64 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}
