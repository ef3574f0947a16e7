import { describe, expect, it } from 'vitest';
import {
  InvalidReferenceError,
  normalizeReference,
  parseImageReference,
} from './image-reference.js';

describe('parseImageReference', () => {
  it.each([
    ['app', 'docker.io/library/app:latest'],
    ['app:latest', 'docker.io/library/app:latest'],
    ['docker.io/library/app:latest', 'docker.io/library/app:latest'],
    ['docker.io/app', 'docker.io/library/app:latest'],
    ['team/app:1.2', 'docker.io/team/app:1.2'],
    ['localhost/app', 'localhost/app:latest'],
    ['127.0.0.1:5000/team/app:v2', '127.0.0.1:5000/team/app:v2'],
    ['imgext.local/sample/builder:latest', 'imgext.local/sample/builder:latest'],
    [`app@sha256:${'a'.repeat(64)}`, `docker.io/library/app@sha256:${'a'.repeat(64)}`],
    [`app:1@sha256:${'b'.repeat(64)}`, `docker.io/library/app:1@sha256:${'b'.repeat(64)}`],
    ['a__b/c-d--e.f_g', 'docker.io/a__b/c-d--e.f_g:latest'],
  ])('%s -> %s', (ref, normalized) => {
    expect(normalizeReference(ref)).toBe(normalized);
  });

  it.each([
    ['Probe-Upper:1', 'lowercase'],
    ['a b:1', 'white space'],
    ['', 'empty'],
    ['app:', 'not a valid tag'],
    ['app:-x', 'not a valid tag'],
    ['app@sha256:zz', 'not a digest'],
    [':1', 'names no repository'],
    ['team//app', 'lowercase letters'],
    ['team/app-', 'lowercase letters'],
    ['-x.io/app', 'registry host'],
    [`${'a'.repeat(256)}`, 'longer than 255'],
  ])('%j is refused (%s)', (ref, why) => {
    let caught: unknown;
    try {
      parseImageReference(ref);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidReferenceError);
    expect((caught as InvalidReferenceError).code).toBe('ENGINE_INVALID_REFERENCE');
    expect((caught as Error).message).toContain(why);
    expect((caught as Error).message).toContain(`"${ref}"`);
  });
});
