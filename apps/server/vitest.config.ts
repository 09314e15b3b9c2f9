import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// 'source' makes `@portcullis/contract/*` resolve to its .ts files, so tests never run against a
// stale build of the contract. Vite replaces (not extends) the default conditions, hence the spread.
const conditions = ['source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'server',
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
