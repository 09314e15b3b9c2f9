import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    // The repository root, so paths read the same here as in the brief and the README.
    root: path.resolve(import.meta.dirname, '..'),
    include: ['e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts its own server and browser; one at a time keeps them from starving each
    // other of CPU (Argon2 hashing, Chromium) and the timings honest.
    fileParallelism: false,
  },
});
