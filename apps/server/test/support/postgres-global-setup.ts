import { reachable, sharedDatabaseUrl, sharedRedisUrl } from './live-processes.js';

/** Workers start after this and inherit the environment it sets. */
export default async function setup(): Promise<void> {
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
    process.env.PORTCULLIS_TEST_SKIP_SHARED = '1';
    return;
  }
  process.env.PORTCULLIS_TEST_DATABASE_URL = sharedDatabaseUrl;
  process.env.PORTCULLIS_TEST_REDIS_URL = sharedRedisUrl;
}
