import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { dockerHostSocket, parseCreationTime, parseVolume } from './build-flag-values.js';

describe("pack's build flag values", () => {
  it('--volume: host:target read-only by default, :rw writable, bad specs named', () => {
    expect(parseVolume('/data:/probe')).toEqual({
      source: '/data',
      target: '/probe',
      readOnly: true,
    });
    expect(parseVolume('named-volume:/cache-here:rw')).toEqual({
      source: 'named-volume',
      target: '/cache-here',
      readOnly: false,
    });
    for (const [spec, why] of [
      ['/data', 'wrong number of parts'],
      ['/data:relative', 'the target path must be absolute'],
      ['/data:/x:rx', 'invalid mode "rx"'],
      [':/x', 'no host path'],
    ] as const) {
      expect(() => parseVolume(spec)).toThrow(UsageError);
      expect(() => parseVolume(spec)).toThrow(`--volume "${spec}": ${why}`);
    }
  });

  it('--creation-time: now or epoch seconds', () => {
    expect(parseCreationTime('now', () => 1_700_000_000_999)).toBe(1_700_000_000);
    expect(parseCreationTime('1234')).toBe(1234);
    expect(() => parseCreationTime('2024-01-01')).toThrow('--creation-time "2024-01-01"');
    expect(() => parseCreationTime('-5')).toThrow(UsageError);
  });

  it('--docker-host: a unix socket path, inherit from DOCKER_HOST, tcp refused', () => {
    expect(dockerHostSocket(undefined, {})).toBeUndefined();
    expect(dockerHostSocket('/run/docker.sock', {})).toBe('/run/docker.sock');
    expect(dockerHostSocket('unix:///run/docker.sock', {})).toBe('/run/docker.sock');
    expect(dockerHostSocket('inherit', { DOCKER_HOST: 'unix:///x/d.sock' })).toBe('/x/d.sock');
    expect(() => dockerHostSocket('inherit', {})).toThrow('DOCKER_HOST is not set');
    expect(() => dockerHostSocket('tcp://1.2.3.4:2375', {})).toThrow(UsageError);
    expect(() => dockerHostSocket('inherit', { DOCKER_HOST: 'ssh://me@host' })).toThrow(
      'inherit (DOCKER_HOST=ssh://me@host)',
    );
  });
});
