import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const conditions = ['source', ...defaultServerConditions];

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
