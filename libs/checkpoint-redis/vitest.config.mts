import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Only the conformance suite runs here; the jest specs under src/ belong to the jest run.
export default defineConfig({
  // With the root set to this folder, vitest would otherwise keep its cache in a node_modules folder here.
  cacheDir: fileURLToPath(new URL('../../node_modules/.vite/checkpoint-redis', import.meta.url)),
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    globals: true,
    testTimeout: 20_000,
  },
});
