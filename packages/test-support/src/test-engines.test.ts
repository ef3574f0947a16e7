import { describe, expect, it } from 'vitest';
import { parseTestEngines, testEngines } from './test-engines.js';

describe('test engines', () => {
  it('parses IMGEXT_TEST_ENGINES, hosts keeping their own "="', () => {
    const engines = parseTestEngines('docker-26.1=unix:///a.sock,,podman=unix:///b?x=1');
    expect(engines.map((e) => [e.name, e.host, e.podman, e.containerdStore])).toEqual([
      ['docker-26.1', 'unix:///a.sock', false, true],
      ['podman', 'unix:///b?x=1', true, false],
    ]);
  });

  it('falls back to DOCKER_HOST, and throws when there is no engine at all', () => {
    expect(testEngines({ DOCKER_HOST: 'unix:///d.sock' })).toEqual([
      { name: 'DOCKER_HOST', host: 'unix:///d.sock', podman: false, containerdStore: false },
    ]);
    expect(() => testEngines({})).toThrow(/no engine to test against/);
  });
});
