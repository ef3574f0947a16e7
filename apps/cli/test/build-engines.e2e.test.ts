/**
 * The main flow (build, switch and run extensions) on every engine of the matrix
 * (IMGEXT_TEST_ENGINES from tools/env up): Docker 26.1 with the containerd store and the classic
 * store, Docker 20.10, podman's compat API. The full suite (build.e2e.test.ts) runs against
 * DOCKER_HOST.
 */
import { EngineClient } from '@imgext/engine-client';
import { parseTestEngines } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { buildArgv, removeBuilt, removeDir, runCli, runImage, sampleApp } from './build-harness.js';

const engines = parseTestEngines(process.env.IMGEXT_TEST_ENGINES ?? '');

describe.skipIf(engines.length === 0).each(engines)('imgext build on $name', ({ host }) => {
  it('builds the sample app with build, switch and run extensions; the image runs', async () => {
    const client = new EngineClient({ host });
    const image = 'imgext-test/build-engines:latest';
    const app = await sampleApp('build switch run');
    try {
      const run = await runCli(buildArgv(image, app), {
        env: { ...process.env, DOCKER_HOST: host },
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const out = await runImage(client, image);
      expect(out).toContain('built with: build-tool 1.0');
      expect(out).toContain('run image: imgext.local/stack/busybox:run-alt');
      expect(out).toContain('run image tool: run-tool 1.0');
    } finally {
      await removeBuilt(client, image);
      await removeDir(app);
      await client.close();
    }
  });
});
