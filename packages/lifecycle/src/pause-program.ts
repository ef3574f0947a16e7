/**
 * The program a phase host container runs while the phases are exec'd in it: it waits for a
 * signal, forever (Kubernetes' pause container does the same). Images carry no program that is
 * sure to do that (a lifecycle image has no shell, no `sleep`), so imgext puts this one in: a
 * static ELF of ~140 bytes, written here instruction by instruction, for the two architectures
 * CNB builders ship for. As PID 1 it ignores SIGTERM; the session removes its hosts with force.
 */

/** Machine code of `for (;;) pause()` (amd64) and `for (;;) ppoll(NULL, 0, NULL, NULL)` (arm64). */
const CODE: Readonly<Record<string, { machine: number; code: number[] }>> = {
  amd64: {
    machine: 0x3e,
    // mov eax, 34 (pause) ; syscall ; jmp back to the mov
    code: [0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7],
  },
  arm64: {
    machine: 0xb7,
    // mov x0..x3, xzr ; mov x8, #73 (ppoll) ; svc #0 ; b back to the first mov
    code: words([
      0xaa1f03e0, 0xaa1f03e1, 0xaa1f03e2, 0xaa1f03e3, 0xd2800928, 0xd4000001, 0x17fffffa,
    ]),
  },
};

const ALIASES: Readonly<Record<string, string>> = { x86_64: 'amd64', aarch64: 'arm64' };

/** The pause program for an image's architecture (as the engine reports it), or undefined. */
export function pauseProgram(architecture: string | undefined): Buffer | undefined {
  if (!architecture) return undefined;
  const arch = CODE[ALIASES[architecture] ?? architecture];
  return arch ? elf64(arch.machine, Buffer.from(arch.code)) : undefined;
}

function words(ws: number[]): number[] {
  const b = Buffer.alloc(ws.length * 4);
  for (const [i, w] of ws.entries()) b.writeUInt32LE(w, i * 4);
  return [...b];
}

/** A little-endian ELF64 executable: the header, one loadable segment, the code after them. */
function elf64(machine: number, code: Buffer): Buffer {
  const base = 0x400000n;
  const headerSize = 64;
  const programHeaderSize = 56;
  const start = headerSize + programHeaderSize;
  const size = start + code.length;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2 /* 64-bit */, 1 /* LE */, 1 /* version */, 0 /* SysV */], 0);
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(machine, 18);
  b.writeUInt32LE(1, 20); // EV_CURRENT
  b.writeBigUInt64LE(base + BigInt(start), 24); // entry point
  b.writeBigUInt64LE(BigInt(headerSize), 32); // program headers' offset
  b.writeBigUInt64LE(0n, 40); // no section headers
  b.writeUInt32LE(0, 48); // flags
  b.writeUInt16LE(headerSize, 52);
  b.writeUInt16LE(programHeaderSize, 54);
  b.writeUInt16LE(1, 56); // one program header
  // section header size, count and names index stay 0
  const ph = headerSize;
  b.writeUInt32LE(1, ph); // PT_LOAD
  b.writeUInt32LE(5, ph + 4); // PF_R | PF_X
  b.writeBigUInt64LE(0n, ph + 8); // from the file's start
  b.writeBigUInt64LE(base, ph + 16); // virtual address
  b.writeBigUInt64LE(base, ph + 24); // physical address
  b.writeBigUInt64LE(BigInt(size), ph + 32); // size in the file
  b.writeBigUInt64LE(BigInt(size), ph + 40); // size in memory
  b.writeBigUInt64LE(0x1000n, ph + 48); // alignment
  code.copy(b, start);
  return b;
}
