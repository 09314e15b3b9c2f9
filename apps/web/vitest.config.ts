import { defaultClientConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Unit tests of the web app's pure logic (no DOM): the same 'source' condition as the build, so
// `@portcullis/contract/*` resolves to its .ts files.
export default defineConfig({
  resolve: { conditions: ['source', ...defaultClientConditions] },
  test: {
    name: 'web',
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
