import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Without Vite's `module` condition: vitest hands the conditions to Node itself, and a `module`
// build is not always valid Node ESM (@opentelemetry/api's, which prom-client requires, is not).
const conditions = ['source', ...defaultServerConditions.filter((c) => c !== 'module')];

/**
 * The integration suite a second time, on PostgreSQL and Redis (the multi-instance setup), so every
 * repository query and the shared stores are proven on both back ends. The global setup skips it
 * with a notice where they are not reachable; `.ci/run` starts them where they are installed.
 */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'server-postgres',
    root: import.meta.dirname,
    include: ['test/integration/**/*.test.ts', 'test/shared-stores/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/support/postgres-global-setup.ts'],
  },
});
