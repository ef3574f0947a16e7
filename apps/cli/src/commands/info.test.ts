import { captureOutput as capture } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

const host = process.env.DOCKER_HOST;

describe.skipIf(!host)('imgext info (against the real engine at DOCKER_HOST)', () => {
  it('reports the endpoint, negotiated API version and image store as JSON', async () => {
    const io = capture();
    const code = await main(['info', '--json'], { ...io.streams, env: process.env });
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(io.stdout().trim());
    expect(result.host).toBe(host);
    expect(result.source).toBe('DOCKER_HOST');
    expect(result.apiVersion).toMatch(/^1\.\d+$/);
    expect(Number(result.apiVersion.split('.')[1])).toBeGreaterThanOrEqual(41);
    expect(['containerd', 'classic']).toContain(result.imageStore);
    if (process.env.IMGEXT_ENGINE === 'docker-26.1') expect(result.imageStore).toBe('containerd');
  });

  it('fails with exit 1 and a connection error naming the socket when the engine is not there', async () => {
    const io = capture();
    const code = await main(['info', '--host', 'unix:///nonexistent/imgext.sock'], {
      ...io.streams,
      env: process.env,
    });
    expect(code).toBe(1);
    expect(io.stderr()).toContain('ENGINE_CONNECTION');
    expect(io.stderr()).toContain('/nonexistent/imgext.sock');
  });
});
