import { createConnection } from 'node:net';

const databaseUrl =
  process.env.PORTCULLIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** Workers start after this and inherit the environment it sets. */
export default async function setup(): Promise<void> {
  const [database, redis] = await Promise.all([reachable(databaseUrl), reachable(redisUrl)]);
  if (!database || !redis) {
    process.stdout.write(
      `\nserver-postgres: skipped, ${!database ? `PostgreSQL (${databaseUrl})` : ''}${
        !database && !redis ? ' and ' : ''
      }${!redis ? `Redis (${redisUrl})` : ''} not reachable\n`,
    );
    process.env.PORTCULLIS_TEST_SKIP_SHARED = '1';
    return;
  }
  process.env.PORTCULLIS_TEST_DATABASE_URL = databaseUrl;
  process.env.PORTCULLIS_TEST_REDIS_URL = redisUrl;
}
