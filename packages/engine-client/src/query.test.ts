import { describe, expect, it } from 'vitest';
import { pathSegment, queryString } from './query.js';

describe('queryString', () => {
  it('encodes booleans as 1/0, objects as JSON, arrays as repeated keys, drops undefined', () => {
    expect(
      queryString({
        t: ['a:1', 'b:2'],
        rm: true,
        nocache: false,
        filters: { label: ['x=y'] },
        skip: undefined,
        none: null,
        n: 3,
      }),
    ).toBe('?t=a%3A1&t=b%3A2&rm=1&nocache=0&filters=%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D&n=3');
    expect(queryString({})).toBe('');
  });
});

describe('pathSegment', () => {
  it('keeps the separators of references and escapes the rest', () => {
    expect(pathSegment('127.0.0.1:5000/team/app@sha256:abc')).toBe(
      '127.0.0.1:5000/team/app@sha256:abc',
    );
    expect(pathSegment('a b?#')).toBe('a%20b%3F%23');
  });
});
