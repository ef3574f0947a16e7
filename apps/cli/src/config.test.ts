import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configPath, isTrustedBuilder, parseConfig, readConfig } from './config.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('config file', () => {
  it('is found through IMGEXT_CONFIG, XDG_CONFIG_HOME, then HOME', () => {
    expect(configPath({ IMGEXT_CONFIG: '/x/c.toml', HOME: '/h' })).toBe('/x/c.toml');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/h' })).toBe('/xdg/imgext/config.toml');
    expect(configPath({ HOME: '/h' })).toBe('/h/.config/imgext/config.toml');
  });

  it('a missing file is an empty config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imgext-config-'));
    dirs.push(dir);
    const config = await readConfig({ IMGEXT_CONFIG: join(dir, 'none.toml') });
    expect(config).toEqual({ path: join(dir, 'none.toml'), exists: false, trustedBuilders: [] });
  });

  it("reads pack's keys: default-builder and [[trusted-builders]] (and a plain list)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imgext-config-'));
    dirs.push(dir);
    const path = join(dir, 'config.toml');
    await writeFile(
      path,
      'default-builder = "imgext.local/sample/builder"\n[[trusted-builders]]\nname = "imgext.local/sample/builder:latest"\n[[trusted-builders]]\nname = "paketo/builder"\n',
    );
    const config = await readConfig({ IMGEXT_CONFIG: path });
    expect(config.defaultBuilder).toBe('imgext.local/sample/builder');
    expect(config.trustedBuilders).toEqual([
      'imgext.local/sample/builder:latest',
      'paketo/builder',
    ]);
    expect(isTrustedBuilder(config, 'imgext.local/sample/builder')).toBe(true);
    expect(isTrustedBuilder(config, 'docker.io/paketo/builder:latest')).toBe(true);
    expect(isTrustedBuilder(config, 'paketo/builder:other')).toBe(false);
    expect(parseConfig('trusted-builders = ["a", "b:1"]\n', 'x').trustedBuilders).toEqual([
      'a',
      'b:1',
    ]);
  });

  it('bad TOML and wrong types name the file (and line), exit code 2', () => {
    expect(() => parseConfig('default-builder = \n', '/c.toml')).toThrow(
      /the config file \/c\.toml, line 1 is not valid TOML/,
    );
    expect(() => parseConfig('default-builder = 3\n', '/c.toml')).toThrow(
      'the config file /c.toml: default-builder must be a non-empty string',
    );
    expect(() => parseConfig('[[trusted-builders]]\nnom = "x"\n', '/c.toml')).toThrow(
      /trusted-builders must be a list of builders/,
    );
    try {
      parseConfig('trusted-builders = "x"\n', '/c.toml');
    } catch (err) {
      expect(err).toMatchObject({ code: 'IMGEXT_CONFIG_INVALID', exitCode: 2 });
    }
  });
});
