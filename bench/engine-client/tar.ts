/** A tar stream generated on the fly (ustar), so a 1 GiB build context never exists in memory. */

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(Math.floor(Date.now() / 1000), 12), 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export interface TarFile {
  name: string;
  /** Small files: their content. */
  content?: Buffer;
  /** Large files: their size, filled with a repeated 1 MiB pseudo-random block. */
  size?: number;
}

const BLOCK = (() => {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  return block;
})();

export async function* tarStream(files: TarFile[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    const size = file.content?.length ?? file.size ?? 0;
    yield header(file.name, size);
    if (file.content) yield file.content;
    else {
      for (let left = size; left > 0; left -= BLOCK.length) {
        yield left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left);
      }
    }
    const pad = (512 - (size % 512)) % 512;
    if (pad) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(1024);
}
