import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Browser,
  registerVerified,
  directRoute,
  errorCode,
  findExecutable,
  freePort,
  reachable,
  send,
  startInstance,
  strongPassword,
  uniqueEmail,
  waitFor,
  type Instance,
  type Route,
} from '../support/live-processes.js';

/**
 * Redis goes away while an instance runs, then comes back on the same address. It is a private
 * redis-server on a free port (the machine's shared Redis is never touched) and the instance keeps
 * its data in SQLite, so nothing else is involved. The README's "When Redis is down" table, proven.
 */

const redisServer = findExecutable('redis-server');
if (redisServer === undefined)
  console.warn('faults (redis): skipped, redis-server is not installed');

describe.skipIf(redisServer === undefined)('Redis stops mid-run and comes back', () => {
  const clientIp = '203.0.113.7';
  let redisPort = 0;
  let redis: ChildProcess | undefined;
  let instance: Instance | undefined;
  let route: Route;

  async function startRedis(): Promise<void> {
    const child = spawn(
      redisServer ?? 'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    redis = child;
    await waitFor(
      'redis-server to listen',
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        return (await reachable(`redis://127.0.0.1:${redisPort}`)) ? true : undefined;
      },
      10_000,
    );
  }

  async function killRedis(): Promise<void> {
    const child = redis;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // A crash, not a clean shutdown: connections drop without a goodbye.
    child.kill('SIGKILL');
    await exited;
  }

  beforeAll(async () => {
    redisPort = await freePort();
    await startRedis();
    instance = await startInstance({
      TRUST_PROXY: '127.0.0.1',
      PUBLIC_ORIGIN: 'https://localhost',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    route = directRoute(instance.port, clientIp);
  }, 60_000);

  afterAll(async () => {
    await instance?.stop();
    await killRedis();
  }, 30_000);

  it('keeps signed-in reads working, refuses logins with 503 while down, and recovers by itself', async () => {
    const browser = new Browser('https://localhost', route);
    const email = uniqueEmail('redis-outage');
    const password = strongPassword();
    await registerVerified(browser, instance?.dataDir ?? '', { email, password, name: 'R' });
    expect((await send(`${route.baseUrl}/readyz`)).status).toBe(200);

    await killRedis();

    // Authenticated reads: the general rate limit counts in memory meanwhile.
    for (let i = 0; i < 3; i++) {
      const profile = await browser.get('/api/profile');
      expect(profile.status, profile.body).toBe(200);
    }
    // Throttled actions fail closed, quickly, and say when to retry.
    const stranger = new Browser('https://localhost', route);
    const login = await stranger.post('/api/login', { email, password });
    expect([login.status, errorCode(login)], login.body).toEqual([503, 'dependency_unavailable']);
    expect(login.headers['retry-after']).toBe('5');
    expect(login.ms).toBeLessThan(2000);
    const register = await stranger.post('/api/register', {
      email: uniqueEmail('redis-outage'),
      password: strongPassword(),
      name: 'S',
    });
    expect([register.status, errorCode(register)]).toEqual([503, 'dependency_unavailable']);
    expect((await send(`${route.baseUrl}/readyz`)).status).toBe(503);

    await startRedis();
    const startedAgain = Date.now();
    // Same instance, no restart: its connection retries (backing off to 2 s) until Redis answers.
    const recovered = await waitFor(
      'login to work again',
      async () => {
        const reply = await stranger.post('/api/login', { email, password });
        if (reply.status === 503) return undefined;
        return reply;
      },
      15_000,
      250,
    );
    expect(recovered.status, recovered.body).toBe(200);
    expect(Date.now() - startedAgain).toBeLessThan(15_000);
    expect((await send(`${route.baseUrl}/readyz`)).status).toBe(200);
    expect(instance?.child.exitCode).toBeNull();
  }, 90_000);
});
