import { inject } from 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    /** Set by the 'server-postgres' project's global setup when PostgreSQL and Redis answer. */
    portcullisSharedBackends: { databaseUrl: string; redisUrl: string } | null;
  }
}

/**
 * PostgreSQL and Redis for the test that runs in the 'server-postgres' project; nothing in the
 * 'server' project. Provided to that project only (not through process.env, which every project
 * of a combined run would inherit).
 */
export function sharedBackendUrls(): { databaseUrl?: string; redisUrl?: string } {
  return inject('portcullisSharedBackends') ?? {};
}
