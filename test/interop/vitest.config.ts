/**
 * The interop check on its own (`npm run test:interop`, a step of `npm test`): it needs python3
 * with NumPy rather than a GPU, so it stays out of the main projects and says so when it fails.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/interop/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
