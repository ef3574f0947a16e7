import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Runs the extender benchmark (run.ts) through vitest, which loads the TypeScript sources. */
export default defineConfig({
  root: here('.'),
  resolve: {
    conditions: sourceConditions,
  },
  ssr: { resolve: { conditions: sourceConditions } },
  test: { include: ['run.ts'], testTimeout: 0, hookTimeout: 0 },
});
