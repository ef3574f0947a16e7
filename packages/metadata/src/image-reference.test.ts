import { describe, expect, it } from 'vitest';
import { normalizeReference, parseReference, referenceRegistry } from './image-reference.js';

describe('normalizeReference', () => {
  it('qualifies Docker Hub names and adds :latest', () => {
    expect(normalizeReference('app')).toBe('docker.io/library/app:latest');
    expect(normalizeReference('app:1')).toBe('docker.io/library/app:1');
    expect(normalizeReference('org/app')).toBe('docker.io/org/app:latest');
    expect(normalizeReference('docker.io/library/app:latest')).toBe('docker.io/library/app:latest');
    expect(normalizeReference('index.docker.io/org/app')).toBe('docker.io/org/app:latest');
  });

  it('keeps a registry host with a port, and digests', () => {
    expect(normalizeReference('127.0.0.1:5000/x/y')).toBe('127.0.0.1:5000/x/y:latest');
    expect(normalizeReference('localhost/x')).toBe('localhost/x:latest');
    expect(normalizeReference('imgext.local/sample/builder')).toBe(
      'imgext.local/sample/builder:latest',
    );
    expect(normalizeReference('r.example:5000/a@sha256:ab')).toBe('r.example:5000/a@sha256:ab');
  });

  it('splits registry, repository and tag', () => {
    expect(referenceRegistry('127.0.0.1:5000/a/b:1')).toBe('127.0.0.1:5000');
    expect(parseReference('127.0.0.1:5000/a/b:1')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'a/b',
      reference: '1',
    });
    expect(parseReference('busybox')).toEqual({
      registry: 'docker.io',
      repository: 'library/busybox',
      reference: 'latest',
    });
  });
});
