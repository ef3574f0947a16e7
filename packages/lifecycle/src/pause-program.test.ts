import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseProgram } from './pause-program.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgext-pause-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the program (directly, or through an emulator) and tells whether it still waits after 300 ms. */
async function waitsForever(file: string, runner: string[] = []): Promise<boolean> {
  const [cmd, ...args] = [...runner, file];
  const child = spawn(cmd!, args, { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const result = await Promise.race([exited.then(() => false), sleep(300).then(() => true)]);
  child.kill('SIGKILL');
  await exited;
  return result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pauseProgram', () => {
  it('is a static ELF64 executable for amd64 and arm64 (either spelling), none for other machines', () => {
    for (const [name, machine] of [
      ['amd64', 0x3e],
      ['x86_64', 0x3e],
      ['arm64', 0xb7],
      ['aarch64', 0xb7],
    ] as const) {
      const elf = pauseProgram(name)!;
      expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(elf[4]).toBe(2); // 64-bit
      expect(elf[5]).toBe(1); // little-endian
      expect(elf.readUInt16LE(16)).toBe(2); // an executable
      expect(elf.readUInt16LE(18)).toBe(machine);
      expect(elf.readUInt16LE(56)).toBe(1); // one program header, no interpreter
      expect(elf.readBigUInt64LE(64 + 32)).toBe(BigInt(elf.length)); // all of it loaded
      expect(elf.length).toBeLessThan(200);
    }
    expect(pauseProgram('s390x')).toBeUndefined();
    expect(pauseProgram(undefined)).toBeUndefined();
  });

  const native = arch() === 'x64' ? 'amd64' : arch() === 'arm64' ? 'arm64' : undefined;
  it.runIf(native)('runs here and waits until it is killed', async () => {
    const file = join(dir, 'pause-native');
    await writeFile(file, pauseProgram(native)!);
    await chmod(file, 0o755);
    expect(await waitsForever(file)).toBe(true);
  });

  // The other architecture's code, where an emulator is installed (Debian's qemu-user).
  const other = native === 'amd64' ? 'arm64' : 'amd64';
  const emulator = other === 'arm64' ? 'qemu-aarch64' : 'qemu-x86_64';
  const hasEmulator = spawnSync(emulator, ['--version']).status === 0;
  it.runIf(native && hasEmulator)(`waits until killed as ${other} too (${emulator})`, async () => {
    const file = join(dir, `pause-${other}`);
    await writeFile(file, pauseProgram(other)!);
    await chmod(file, 0o755);
    expect(await waitsForever(file, [emulator])).toBe(true);
  });
});
