import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

/**
 * The unit tests of the harnesses' cores (pack: timings, summary, SVG; extender: the builders
 * report); the benchmarks themselves are not tests.
 */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  resolve: { conditions: sourceConditions },
  test: { include: ['pack/*.test.ts', 'extender/*.test.ts'] },
});
