import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

/** The unit tests of the pack harness's core (timings, summary, SVG); the benchmark is not a test. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { conditions: sourceConditions },
  test: { include: ['*.test.ts'] },
});
