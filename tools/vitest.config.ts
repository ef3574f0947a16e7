import { defineProject } from 'vitest/config';

export default defineProject({
  test: { include: ['test-env/**/*.test.ts'], testTimeout: 120_000 },
});
