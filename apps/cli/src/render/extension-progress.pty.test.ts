/**
 * The live view on a real pseudo-terminal: a node process drives createExtensionProgress on its
 * stderr under util-linux `script` (stderr a TTY, its width from the terminal), and what it wrote
 * is replayed into a terminal emulator: the final screen must show each step once, in order,
 * however many redraws happened. The module runs transpiled on its own (it has only type imports).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenOf } from '../../test/terminal-screen.js';

const run = promisify(execFile);
const COLS = 64;
/** The start of a control sequence, as a regular expression. */
const ESC = '\u001b\\[';
const hasScript = await run('script', ['--version']).then(
  () => true,
  () => false,
);

describe.skipIf(!hasScript)('the live extension view in a pseudo-terminal (script)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgext-pty-'));
    const source = await readFile(resolve(import.meta.dirname, 'extension-progress.ts'), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(dir, 'extension-progress.mjs'), outputText);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows each step once, in place until applied, the failing step with its output', async () => {
    const driver = resolve(import.meta.dirname, '../../test/extension-progress-driver.mjs');
    const command = `stty cols ${COLS} rows 30; exec node ${driver} ${join(dir, 'extension-progress.mjs')}`;
    const { stdout } = await run('script', ['-qfec', command, '/dev/null'], { timeout: 30_000 });
    // many frames were drawn, each erasing the previous live lines
    expect(stdout.match(new RegExp(`${ESC}\\d+A`, 'g'))?.length ?? 0).toBeGreaterThan(5);
    const screen = await screenOf(stdout, COLS);
    expect(screen).toEqual([
      `tty=true columns=${COLS}`,
      // written while ext-a's steps were live: above them
      '[  0.3s] a line from elsewhere',
      '[run ext-b] [1/2] RUN apt-get install -y curl        ERROR 2.5s',
      '------',
      ' > [run ext-b] [1/2] RUN apt-get install -y curl:',
      ' Unpacking 1',
      ' Unpacking 2',
      ' Unpacking 3',
      ' Unpacking 4',
      ' Unpacking 5',
      ' Unpacking 6',
      ' Unpacking 7',
      ' Unpacking 8',
      ' E: Unable to locate package curl',
      ' exit code: 100',
      '------',
      // ext-a's steps, in place until it was applied
      '[build ext-a] [1/3] FROM busybox                         CACHED',
      '[build ext-a] [2/3] RUN make                               1.5s',
      '[build ext-a] [3/3] COPY --from=x / /                      0.1s',
      '[  0.9s] ext-a extended the build image (3 steps, 1 cached)',
    ]);
  });
});
