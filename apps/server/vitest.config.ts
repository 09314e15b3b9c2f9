import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// 'source' makes `@portcullis/contract/*` resolve to its .ts files, so tests never run against a
// stale build of the contract. Vite replaces (not extends) the default conditions, hence the spread.
// Without Vite's `module` condition: vitest hands the conditions to Node itself, and a `module`
// build is not always valid Node ESM (@opentelemetry/api's, which prom-client requires, is not).
const conditions = ['source', ...defaultServerConditions.filter((c) => c !== 'module')];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'server',
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
