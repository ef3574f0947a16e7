import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../test/node-fs.js';
import { applyRunImageDecision, parseAnalyzed, serializeAnalyzed } from './analyzed.js';
import type { MetadataError } from './errors.js';
import { parseExtendConfig } from './extend-config.js';
import { parseGroup, serializeGroup } from './group.js';

describe('group.toml', () => {
  it('round-trips', async () => {
    const group = parseGroup(await readFile(join(fixtures, 'group.toml'), 'utf8'));
    expect(group.buildpacks).toEqual([{ id: 'samples/hello', version: '0.0.1', api: '0.10' }]);
    expect(parseGroup(serializeGroup(group))).toEqual(group);
  });

  it('names the file and line on bad TOML', () => {
    try {
      parseGroup('[[group]]\nid = \n', '/layers/group.toml');
      expect.unreachable();
    } catch (err) {
      expect((err as MetadataError).code).toBe('ERR_TOML_PARSE');
      expect((err as MetadataError).message).toMatch(/^\/layers\/group.toml:2:/);
    }
  });
});

describe('analyzed.toml', () => {
  it('switches the run image as the lifecycle does, keeping other tables', async () => {
    const analyzed = parseAnalyzed(await readFile(join(fixtures, 'analyzed.toml'), 'utf8'));
    const updated = applyRunImageDecision(
      analyzed,
      { switchTo: 'other:1', extend: true },
      'sha256:ffff',
    );
    expect(updated.runImage).toEqual({ image: 'other:1', reference: 'sha256:ffff', extend: true });
    const again = parseAnalyzed(serializeAnalyzed(updated));
    expect(again.runImage).toEqual(updated.runImage);
    expect(again.rest).toEqual({ image: { reference: 'sha256:1111' } });
  });

  it('keeps the target when only extending', async () => {
    const analyzed = parseAnalyzed(await readFile(join(fixtures, 'analyzed.toml'), 'utf8'));
    const updated = applyRunImageDecision(analyzed, { extend: true });
    expect(updated.runImage).toMatchObject({
      extend: true,
      target: { os: 'linux', arch: 'amd64' },
    });
  });
});

describe('extend-config.toml', () => {
  it('reads build and run args', () => {
    const c = parseExtendConfig(
      '[[build.args]]\nname="a"\nvalue="1"\n[[run.args]]\nname="b"\nvalue="2"\n',
    );
    expect(c).toEqual({ build: [{ name: 'a', value: '1' }], run: [{ name: 'b', value: '2' }] });
  });

  it.each(['build_id', 'user_id', 'group_id'])('forbids %s', (name) => {
    try {
      parseExtendConfig(`[[run.args]]\nname="${name}"\nvalue="x"\n`, { extension: 'samples/x' });
      expect.unreachable();
    } catch (err) {
      expect((err as MetadataError).code).toBe('ERR_EXTEND_CONFIG_FORBIDDEN_ARG');
      expect((err as MetadataError).message).toContain('samples/x');
    }
  });
});
