import { captureOutput as capture } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

describe('imgext main()', () => {
  it('prints help and exits 0', async () => {
    const io = capture();
    const code = await main(['--help'], io.streams);
    expect(code).toBe(0);
    expect(io.stdout()).toContain('imgext <command> [options]');
    expect(io.stdout()).toContain('--json');
  });

  it('rejects an unknown flag as a usage error with exit code 2, naming the flag', async () => {
    const io = capture();
    const code = await main(['info', '--bogus-flag'], io.streams);
    expect(code).toBe(2);
    expect(io.stderr()).toMatch(/IMGEXT_USAGE\]: Unknown flag: --bogus-flag\n/);
  });

  it('asks for a command when none is given', async () => {
    const io = capture();
    const code = await main([], io.streams);
    expect(code).toBe(2);
    expect(io.stderr()).toContain('Name a command.');
  });

  it('reports usage errors as one JSON object with --json', async () => {
    const io = capture();
    const code = await main(['--json', 'no-such-command'], io.streams);
    expect(code).toBe(2);
    const line = JSON.parse(io.stdout().trim());
    expect(line).toMatchObject({ type: 'error', code: 'IMGEXT_USAGE', exitCode: 2 });
  });
});
