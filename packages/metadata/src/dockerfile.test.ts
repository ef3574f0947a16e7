// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax, not a template
import { describe, expect, it } from 'vitest';
import { labelPairs, parseDockerfile, splitWords } from './dockerfile.js';
import { validateDockerfile } from './dockerfile-rules.js';
import { MetadataError } from './errors.js';

const src = { extension: 'samples/tree', file: 'build.Dockerfile' };

function thrown(fn: () => unknown): MetadataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MetadataError);
    return err as MetadataError;
  }
  throw new Error('did not throw');
}

describe('parseDockerfile', () => {
  it('joins continuations, skips comments, keeps start lines', () => {
    const p = parseDockerfile(
      '# c\nARG base_image\n\nFROM ${base_image}\nRUN a && \\\n# inner\n  b\nUSER 1000\n',
    );
    expect(p.metaArgs.map((i) => i.line)).toEqual([2]);
    expect(p.stages).toHaveLength(1);
    expect(p.stages[0]!.commands).toEqual([
      { keyword: 'RUN', args: 'a &&   b', line: 5 },
      { keyword: 'USER', args: '1000', line: 8 },
    ]);
  });

  it('honours the escape directive', () => {
    const p = parseDockerfile('# escape=`\nFROM x\nRUN a `\n b\n');
    expect(p.stages[0]!.commands[0]!.args).toBe('a  b');
  });

  it('parses FROM flags and AS', () => {
    const p = parseDockerfile('FROM --platform=linux/amd64 busybox AS one\n');
    expect(p.stages[0]).toMatchObject({ baseName: 'busybox', name: 'one' });
  });

  it('rejects instructions before FROM other than ARG, naming the line', () => {
    const e = thrown(() => parseDockerfile('ARG a\nRUN x\nFROM y\n', src));
    expect(e.code).toBe('ERR_DOCKERFILE_PARSE');
    expect(e.line).toBe(2);
    expect(e.message).toContain('samples/tree');
  });

  it('splits LABEL pairs with quotes and the legacy form', () => {
    const [ins] = parseDockerfile('FROM x\nLABEL a=1 "b c"="d e" f=\'g\'\n').stages[0]!.commands;
    expect(labelPairs(ins!)).toEqual([
      ['a', '1'],
      ['b c', 'd e'],
      ['f', 'g'],
    ]);
    expect(labelPairs({ keyword: 'LABEL', args: 'key some value', line: 1 })).toEqual([
      ['key', 'some value'],
    ]);
    expect(splitWords('a\\ b "c\\"d"')).toEqual(['a b', 'c"d']);
  });
});

describe('validateDockerfile (lifecycle rules)', () => {
  it('accepts a build.Dockerfile and reports what it does', () => {
    const v = validateDockerfile(
      'ARG base_image\nFROM ${base_image}\nARG build_id=0\nCOPY a /a\nLABEL io.buildpacks.rebasable=true\n',
      'build',
      src,
    );
    expect(v).toMatchObject({
      extend: true,
      readsContext: true,
      usesBuildId: true,
      setsRebasable: true,
    });
    expect(v.warnings).toEqual([]);
  });

  it('requires ARG base_image first', () => {
    const e = thrown(() => validateDockerfile('FROM ${base_image}\nRUN x\n', 'build', src));
    expect(e.code).toBe('ERR_DOCKERFILE_INVALID');
    expect(e.message).toMatch(
      /samples\/tree, build.Dockerfile:1: build.Dockerfile did not start with required ARG/,
    );
    const e2 = thrown(() => validateDockerfile('ARG other\nFROM ${base_image}\n', 'build', src));
    expect(e2.line).toBe(1);
  });

  it('requires FROM ${base_image} in build.Dockerfile', () => {
    const e = thrown(() => validateDockerfile('ARG base_image\nFROM busybox\n', 'build', src));
    expect(e.line).toBe(2);
    expect(e.message).toContain('FROM ${base_image}');
  });

  it('forbids multistage in both kinds, naming the second FROM', () => {
    for (const kind of ['build', 'run'] as const) {
      const e = thrown(() =>
        validateDockerfile(
          'ARG base_image\nFROM ${base_image}\nRUN a\nFROM ${base_image}\n',
          kind,
          src,
        ),
      );
      expect(e.line).toBe(4);
      expect(e.message).toContain('multistage');
    }
  });

  it('requires a stage', () => {
    expect(thrown(() => validateDockerfile('ARG base_image\n', 'run', src)).message).toContain(
      'at least one stage',
    );
  });

  it('decides switch vs extend from the run.Dockerfile FROM', () => {
    expect(validateDockerfile('FROM ${base_image}\nRUN a\n', 'run')).toMatchObject({
      extend: true,
    });
    expect(validateDockerfile('FROM ${base_image}\nRUN a\n', 'run').newBase).toBeUndefined();
    expect(validateDockerfile('FROM other:1\n', 'run')).toMatchObject({
      newBase: 'other:1',
      extend: false,
    });
    expect(validateDockerfile('FROM other:1\nRUN a\n', 'run')).toMatchObject({
      newBase: 'other:1',
      extend: true,
    });
  });

  it('warns on unrecommended instructions with their line', () => {
    const v = validateDockerfile(
      'FROM ${base_image}\nRUN a\nEXPOSE 80\nHEALTHCHECK NONE\n',
      'run',
      src,
    );
    expect(v.warnings.map((w) => [w.line, w.message])).toEqual([
      [3, 'run.Dockerfile command EXPOSE on line 3 is not recommended'],
      [4, 'run.Dockerfile command HEALTHCHECK on line 4 is not recommended'],
    ]);
    expect(v.warnings[0]!.extension).toBe('samples/tree');
  });

  it('takes the last rebasable LABEL the Dockerfile sets', () => {
    const v = (body: string) =>
      validateDockerfile(`FROM \${base_image}\n${body}`, 'run').setsRebasable;
    expect(v('LABEL io.buildpacks.rebasable="true"\n')).toBe(true);
    expect(v('LABEL io.buildpacks.rebasable=true\nLABEL io.buildpacks.rebasable=false\n')).toBe(
      false,
    );
    expect(v('RUN a\n')).toBe(false);
    expect(v('COPY --from=busybox /bin/sh /x\n')).toBe(false);
    expect(
      validateDockerfile('FROM ${base_image}\nCOPY --from=busybox /a /b\n', 'run').readsContext,
    ).toBe(false);
  });
});
