import type { TestProject } from 'vitest/node';
import { reachable, sharedDatabaseUrl, sharedRedisUrl } from './live-processes.js';
import './shared-backends.js';

/** Hands this project, and only this one, the shared back ends when both answer. */
export default async function setup(project: TestProject): Promise<void> {
  const [database, redis] = await Promise.all([
    reachable(sharedDatabaseUrl),
    reachable(sharedRedisUrl),
  ]);
  if (!database || !redis) {
    process.stdout.write(
      `\nserver-postgres: skipped, ${!database ? `PostgreSQL (${sharedDatabaseUrl})` : ''}${
        !database && !redis ? ' and ' : ''
      }${!redis ? `Redis (${sharedRedisUrl})` : ''} not reachable\n`,
    );
    project.provide('portcullisSharedBackends', null);
    return;
  }
  project.provide('portcullisSharedBackends', {
    databaseUrl: sharedDatabaseUrl,
    redisUrl: sharedRedisUrl,
  });
}
