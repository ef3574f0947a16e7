import { captureOutput as capture } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import type { Argv } from 'yargs';
import type { GlobalArgs } from './command.js';
import { main, skipHelpCache, VERSION } from './main.js';

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

  it('prints the version alone for --version', async () => {
    const io = capture();
    expect(await main(['--version'], io.streams)).toBe(0);
    expect(io.stdout()).toBe(`${VERSION}\n`);
    expect(io.stderr()).toBe('');
  });

  it('lists every command in --help, and a command loaded on demand gets its own flags', async () => {
    const io = capture();
    expect(await main(['--help'], io.streams)).toBe(0);
    for (const c of ['info', 'build <image>', 'extend', 'prune'])
      expect(io.stdout()).toContain(`imgext ${c}`);
    expect(io.stdout()).not.toContain('--builder');
    const build = capture();
    expect(await main(['--json', 'build', '--help'], build.streams)).toBe(0);
    expect(build.stdout()).toContain('--builder');
    expect(build.stdout()).toContain('--pull-policy');
  });

  it('still suggests a command for a typo, and rejects an unknown flag of an unloaded command', async () => {
    const io = capture();
    expect(await main(['biuld', 'x'], io.streams)).toBe(2);
    expect(io.stderr()).toContain('Did you mean build?');
    const flag = capture();
    expect(await main(['prune', '--bogus'], flag.streams)).toBe(2);
    expect(flag.stderr()).toContain('Unknown flag: --bogus');
  });

  it("running a command does not render yargs' help text first; --help still prints it", async () => {
    const { default: yargs } = await import('yargs');
    type Internal = {
      getInternalMethods(): { getUsageInstance(): { hasCachedHelpMessage(): boolean } };
    };
    const cached = async (skip: boolean) => {
      let ran = false;
      const parser = yargs()
        .exitProcess(false)
        .command({
          command: 'go',
          describe: 'Go',
          handler: () => {
            ran = true;
          },
        });
      if (skip) skipHelpCache(parser as unknown as Argv<GlobalArgs>);
      await parser.parseAsync(['go']);
      expect(ran).toBe(true);
      return (parser as unknown as Internal)
        .getInternalMethods()
        .getUsageInstance()
        .hasCachedHelpMessage();
    };
    expect(await cached(false)).toBe(true); // what yargs does on its own
    expect(await cached(true)).toBe(false);
    const out = capture();
    expect(await main(['build', '--help'], out.streams)).toBe(0);
    expect(out.stdout()).toContain('--builder');
  });
});
