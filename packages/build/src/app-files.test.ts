import { describe, expect, it } from 'vitest';
import { appFilterFor } from './app-files.js';

describe('appFilterFor', () => {
  it('everything travels without include/exclude', () => {
    expect(appFilterFor(undefined)).toBeUndefined();
    expect(appFilterFor({ include: [], exclude: [] })).toBeUndefined();
  });

  it('exclude: gitignore patterns, a folder with all in it', () => {
    const f = appFilterFor({ exclude: ['.git', 'node_modules/', '/README.md', '*.log'] });
    expect(f?.('.git', true)).toBe(false);
    expect(f?.('node_modules', true)).toBe(false);
    expect(f?.('lib/node_modules', true)).toBe(false);
    expect(f?.('README.md', false)).toBe(false);
    expect(f?.('docs/README.md', false)).toBe(true);
    expect(f?.('a/b/debug.log', false)).toBe(false);
    expect(f?.('src', true)).toBe(true);
    expect(f?.('src/index.js', false)).toBe(true);
  });

  it('include: matching files, folders searched, a matching folder kept whole', () => {
    const f = appFilterFor({ include: ['*.js', '/public/'] });
    expect(f?.('src', true)).toBe('descend');
    expect(f?.('src/index.js', false)).toBe(true);
    expect(f?.('src/notes.md', false)).toBe(false);
    expect(f?.('public', true)).toBe(true);
  });

  it('both: a clear error', () => {
    expect(() => appFilterFor({ include: ['a'], exclude: ['b'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_APP_FILES' }),
    );
  });
});
