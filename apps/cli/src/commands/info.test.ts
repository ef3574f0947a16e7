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

describe('imgext info: which builder applies extension Dockerfiles', () => {
  const engines = (process.env.IMGEXT_TEST_ENGINES ?? (host ? `DOCKER_HOST=${host}` : ''))
    .split(',')
    .filter((p) => p.includes('='))
    .map((p) => ({ name: p.slice(0, p.indexOf('=')), host: p.slice(p.indexOf('=') + 1) }));

  it.each(engines)(
    'chooses BuildKit on Docker and the classic builder on podman ($name)',
    async (e) => {
      const io = capture();
      const code = await main(['info', '--json', '--host', e.host], {
        ...io.streams,
        env: { ...process.env, IMGEXT_EXTENDER: '' },
      });
      expect(code).toBe(0);
      const result = JSON.parse(io.stdout().trim());
      const podman = e.name.includes('podman') || e.host.includes('podman');
      expect(result.extender).toBe(podman ? 'classic' : 'buildkit');
      expect(result.extenderReason).toMatch(podman ? /podman has no BuildKit/ : /has BuildKit/);
    },
  );

  it.skipIf(!host)('takes --extender over IMGEXT_EXTENDER, and says so', async () => {
    const io = capture();
    const code = await main(['info', '--json', '--extender', 'classic'], {
      ...io.streams,
      env: { ...process.env, IMGEXT_EXTENDER: 'buildkit' },
    });
    expect(code).toBe(0);
    const result = JSON.parse(io.stdout().trim());
    expect(result.extender).toBe('classic');
    expect(result.extenderReason).toBe('asked for with --extender');
    const fromEnv = capture();
    await main(['info', '--json'], {
      ...fromEnv.streams,
      env: { ...process.env, IMGEXT_EXTENDER: 'classic' },
    });
    expect(JSON.parse(fromEnv.stdout().trim()).extenderReason).toBe(
      'asked for with IMGEXT_EXTENDER',
    );
  });

  it('rejects an unknown IMGEXT_EXTENDER or --extender as a usage error (exit 2)', async () => {
    const io = capture();
    const code = await main(['info'], {
      ...io.streams,
      env: { ...process.env, IMGEXT_EXTENDER: 'kaniko' },
    });
    expect(code).toBe(2);
    expect(io.stderr()).toContain('IMGEXT_EXTENDER="kaniko" is not a builder');
    const flag = capture();
    expect(
      await main(['build', 'x', '--extender', 'kaniko'], { ...flag.streams, env: process.env }),
    ).toBe(2);
    expect(flag.stderr()).toMatch(/extender/);
  });
});
