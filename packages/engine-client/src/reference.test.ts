import { describe, expect, it } from 'vitest';
import { splitReference } from './reference.js';

describe('splitReference', () => {
  it.each([
    ['app', 'app', undefined],
    ['app:1', 'app', '1'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000/team/app', undefined],
    ['127.0.0.1:5000/team/app:v2', '127.0.0.1:5000/team/app', 'v2'],
    ['app@sha256:abc', 'app@sha256:abc', undefined],
  ])('%s', (ref, name, tag) => {
    expect(splitReference(ref)).toEqual({ name, tag });
  });
});
