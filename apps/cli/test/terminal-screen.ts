/**
 * What a terminal shows after some output: the bytes are fed to a real terminal emulator
 * (@xterm/headless, the emulator of VS Code's terminal, run without a display), so cursor
 * movement and erasing are interpreted by someone else's code, not by the renderer's own idea
 * of them. Returns the lines of the scrollback and the screen, trailing blank lines dropped.
 */
import { createRequire } from 'node:module';

// a CommonJS package whose typings are an ambient module: loaded with require
const { Terminal } = createRequire(import.meta.url)(
  '@xterm/headless',
) as typeof import('@xterm/headless');

export async function screenOf(output: string, cols: number, rows = 40): Promise<string[]> {
  const term = new Terminal({
    cols,
    rows,
    scrollback: 1000,
    convertEol: true,
    allowProposedApi: true,
  });
  await new Promise<void>((done) => term.write(output, done));
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++)
    lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  term.dispose();
  return lines;
}
