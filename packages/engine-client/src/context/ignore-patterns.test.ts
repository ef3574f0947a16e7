import { describe, expect, it } from 'vitest';
import {
  cleanPath,
  compileIgnorePatterns,
  IgnorePatternError,
  parseDockerignore,
} from './ignore-patterns.js';

describe('parseDockerignore', () => {
  it('drops comments, blank lines and a BOM; trims, cleans and un-roots patterns', () => {
    const text =
      '\uFEFF# a comment\n\n  node_modules  \n/dist/\n! /keep//me/./x\r\nsrc/../tmp\n #not a comment\n';
    expect(parseDockerignore(text)).toEqual([
      'node_modules',
      'dist',
      '!keep/me/x',
      'tmp',
      '#not a comment',
    ]);
  });

  it('keeps a lone "/" and a lone "!" (the compiler rejects the latter)', () => {
    expect(parseDockerignore('/\n!\n')).toEqual(['/', '!']);
    expect(() => compileIgnorePatterns(['!'])).toThrow(IgnorePatternError);
  });
});

describe('compileIgnorePatterns: one pattern (moby patternmatcher semantics)', () => {
  const cases: [string, string, boolean][] = [
    ['**', 'file', true],
    ['**', 'file/', true],
    ['**/', 'file', true],
    ['**', 'dir/file', true],
    ['**/**', 'dir/file', true],
    ['dir/**', 'dir/file', true],
    ['dir/**', 'dir/dir2/file', true],
    ['**/dir', 'dir', true],
    ['**/dir', 'dir/file', true],
    ['**/dir2/*', 'dir/dir2/file', true],
    ['**/dir2/**', 'dir/dir2/dir3/file', true],
    ['**file', 'file', true],
    ['**file', 'dir/dir/file', true],
    ['**/file*', 'dir/dir/file.txt', true],
    ['**/file*.txt*', 'dir/dir/file.txt', true],
    ['**/**/*.txt', 'dir/dir/file.txt', true],
    ['**/**/*.txt2', 'dir/dir/file.txt', false],
    ['**/*.txt', 'file.txt', true],
    ['a**/*.txt', 'a/dir/dir/file.txt', true],
    ['a/*.txt', 'a/dir/file.txt', false],
    ['a/*.txt', 'a/file.txt', true],
    ['a/*.txt**', 'a/file.txt', true],
    ['a[b-d]e', 'ae', false],
    ['a[b-d]e', 'ace', true],
    ['a[^b-d]e', 'aze', true],
    ['a[^b-d]e', 'ace', false],
    ['.*', '.foo', true],
    ['.*', 'foo', false],
    ['abc.def', 'abcZdef', false],
    ['abc.def', 'abc.def', true],
    ['abc?def', 'abcZdef', true],
    ['abc?def', 'abc/def', false],
    ['a\\\\', 'a\\', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['**/foo/bar', 'foo/bar', true],
    ['**/foo/bar', 'dir/dir2/foo/bar', true],
    ['abc/**', 'abc', false],
    ['abc/**', 'abc/def/ghi', true],
    ['**/.foo', '.foo', true],
    ['**/.foo', 'bar.foo', false],
    ['a(b)c/def', 'a(b)c/def', true],
    ['a(b)c/def', 'a(b)c/xyz', false],
    ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
    ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
    ['*', 'fileutils.go', true],
    ['*.go', 'fileutils.go', true],
    // a matched parent directory matches what is below it
    ['docs', 'docs/sub/README.md', true],
    ['docs/', 'docs/README.md', true],
    ['*/secret', 'a/secret/deep/file', true],
    ['ünï*', 'ünïcode/x', true],
    ['?', 'é', true],
  ];
  for (const [pattern, path, expected] of cases) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(path)}`, () => {
      expect(compileIgnorePatterns([pattern]).matches(path)).toBe(expected);
    });
  }

  it('never matches the context root', () => {
    expect(compileIgnorePatterns(['*', '**']).matches('.')).toBe(false);
    expect(compileIgnorePatterns(['*']).matches('')).toBe(false);
  });

  it('rejects malformed patterns naming them', () => {
    for (const bad of ['[', 'a[b', 'x\\', '[]a]']) {
      expect(() => compileIgnorePatterns([bad]), bad).toThrow(
        expect.objectContaining({ code: 'ENGINE_INVALID_IGNORE_PATTERN', pattern: bad }),
      );
    }
  });

  it('skips blank patterns', () => {
    expect(compileIgnorePatterns(['', '  ', 'a']).patterns.map((p) => p.pattern)).toEqual(['a']);
  });
});

describe('compileIgnorePatterns: several patterns, last one wins', () => {
  const cases: [string[], string, boolean][] = [
    [['!fileutils.go', '*.go'], 'fileutils.go', true],
    [['*.go', '!fileutils.go'], 'fileutils.go', false],
    [['docs', '!docs/README.md'], 'docs/README.md', false],
    [['docs/', '!docs/README.md'], 'docs/README.md', false],
    [['docs/*', '!docs/README.md'], 'docs/README.md', false],
    [['docs/*', '!docs/README.md'], 'docs/other.md', true],
    [['**', '!util/docker/web'], 'util/docker/web/foo', false],
    [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
    [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
    [['*', '!Dockerfile', '!src/**'], 'src/a/b.ts', false],
    [['*', '!Dockerfile', '!src/**'], 'README.md', true],
  ];
  for (const [patterns, path, expected] of cases) {
    it(`${JSON.stringify(patterns)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(path)}`, () => {
      expect(compileIgnorePatterns(patterns).matches(path)).toBe(expected);
    });
  }

  it('works on what parseDockerignore returns', () => {
    const m = compileIgnorePatterns(
      parseDockerignore('# secrets\n/secret.txt\n*.log\n!keep.log\n'),
    );
    expect(m.matches('secret.txt')).toBe(true);
    expect(m.matches('sub/secret.txt')).toBe(false);
    expect(m.matches('a.log')).toBe(true);
    expect(m.matches('keep.log')).toBe(false);
    expect(m.hasExclusions).toBe(true);
  });
});

describe('canSkipDirectory', () => {
  it('is always true without "!" patterns', () => {
    expect(compileIgnorePatterns(['node_modules']).canSkipDirectory('node_modules')).toBe(true);
  });

  it('is false where a "!" pattern could re-include something below the directory', () => {
    const m = compileIgnorePatterns(['docs', '!docs/keep/*.md', 'vendor', '!**/LICENSE']);
    expect(m.canSkipDirectory('docs')).toBe(false);
    expect(m.canSkipDirectory('docs/keep')).toBe(false);
    expect(m.canSkipDirectory('vendor')).toBe(false); // `**/LICENSE` reaches everywhere
    const n = compileIgnorePatterns(['docs', 'vendor', '!docs/keep']);
    expect(n.canSkipDirectory('vendor')).toBe(true);
    expect(n.canSkipDirectory('docs/other')).toBe(true);
    expect(n.canSkipDirectory('docs')).toBe(false);
  });
});

describe('cleanPath', () => {
  it('behaves like Go path.Clean', () => {
    expect(cleanPath('')).toBe('.');
    expect(cleanPath('a//b/./c/')).toBe('a/b/c');
    expect(cleanPath('a/../../b')).toBe('../b');
    expect(cleanPath('/../a')).toBe('/a');
    expect(cleanPath('/')).toBe('/');
  });
});

describe('mayMatchInside', () => {
  it('is true only where a pattern could reach below the directory', () => {
    const m = compileIgnorePatterns(['src/app/*.ts', 'Dockerfile', '!src/app/x.ts']);
    expect(m.mayMatchInside('src')).toBe(true);
    expect(m.mayMatchInside('src/app')).toBe(true);
    expect(m.mayMatchInside('docs')).toBe(false);
    expect(m.mayMatchInside('src/lib')).toBe(false);
    expect(compileIgnorePatterns(['**/*.go']).mayMatchInside('anything')).toBe(true);
    expect(compileIgnorePatterns(['a*/b']).mayMatchInside('abc')).toBe(true);
  });
});
