import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Browser,
  registerVerified,
  directRoute,
  dropSchema,
  errorCode,
  privateSchemaName,
  reachable,
  sharedDatabaseUrl,
  sleep,
  startInstance,
  strongPassword,
  uniqueEmail,
  withSchema,
  type HttpReply,
  type Instance,
} from '../support/live-processes.js';

/**
 * PostgreSQL "restarts" under a write load. The machine's PostgreSQL is shared with other tests, so
 * it is never stopped: a TCP proxy in this process stands between the instance and it, and cutting
 * the proxy (every connection reset, new ones refused) is what the instance sees of a restart.
 */

const databaseUp = await reachable(sharedDatabaseUrl);
if (!databaseUp) console.warn(`faults (postgres): skipped, ${sharedDatabaseUrl} is not reachable`);

/** Forwards TCP to PostgreSQL until cut; while cut, every connection is reset at once. */
class CuttableProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private cut = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      if (this.cut) {
        client.resetAndDestroy();
        return;
      }
      const upstream = createConnection(this.target);
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve();
      });
    });
  }

  /** Like the server going down: established connections reset, new ones refused. */
  sever(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  restore(): void {
    this.cut = false;
  }

  close(): Promise<void> {
    this.sever();
    return new Promise((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}

interface Outcome {
  sentAt: number;
  reply?: HttpReply;
  error?: string;
  noteId?: string;
}

describe.skipIf(!databaseUp)('PostgreSQL goes away under a write load and comes back', () => {
  const schema = privateSchemaName('pc_fault_pg');
  const database = new URL(sharedDatabaseUrl);
  const proxy = new CuttableProxy({ host: database.hostname, port: Number(database.port || 5432) });
  let instance: Instance | undefined;

  beforeAll(async () => {
    await proxy.listen();
    const viaProxy = new URL(sharedDatabaseUrl);
    viaProxy.port = String(proxy.port);
    viaProxy.searchParams.set('schema', schema);
    instance = await startInstance({
      TRUST_PROXY: '127.0.0.1',
      PUBLIC_ORIGIN: 'https://localhost',
      DATABASE_URL: viaProxy.href,
      // The load below is one client writing fast on purpose; the general limit is not under test.
      RATE_LIMIT_MAX: '1000000',
    });
  }, 60_000);

  afterAll(async () => {
    await instance?.stop();
    await proxy.close();
    await dropSchema(schema);
  }, 30_000);

  it('fails in-flight writes fast with 503, recovers by itself and loses no acknowledged note', async () => {
    const port = instance?.port ?? 0;
    const browser = new Browser('https://localhost', directRoute(port, '203.0.113.8'));
    const email = uniqueEmail('pg-outage');
    const password = strongPassword();
    await registerVerified(browser, instance?.dataDir ?? '', { email, password, name: 'P' });

    const clientTimeoutMs = 10_000;
    const outcomes: Outcome[] = [];
    let stopAt = Date.now() + 60_000;
    let sequence = 0;
    const worker = async () => {
      while (Date.now() < stopAt) {
        const outcome: Outcome = { sentAt: Date.now() };
        outcomes.push(outcome);
        try {
          outcome.reply = await browser.request('POST', '/api/notes', {
            json: { title: `load ${++sequence}`, body: 'written while PostgreSQL restarts' },
            timeoutMs: clientTimeoutMs,
          });
          if (outcome.reply.status === 201) {
            outcome.noteId = (JSON.parse(outcome.reply.body) as { id: string }).id;
          }
        } catch (error) {
          outcome.error = error instanceof Error ? error.message : String(error);
        }
        // Sparse enough not to saturate the pool; dense enough to have writes in flight at the cut.
        await sleep(10);
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);

    await sleep(1500);
    const cutAt = Date.now();
    proxy.sever();
    await sleep(2000);
    const restoredAt = Date.now();
    proxy.restore();
    // Run on until the instance has written again for a while, or give up after 20 s.
    const recoveredBy = restoredAt + 20_000;
    while (Date.now() < recoveredBy) {
      const written = outcomes.filter((o) => o.sentAt > restoredAt && o.reply?.status === 201);
      if (written.length >= 20) break;
      await sleep(100);
    }
    stopAt = 0;
    await load;

    // What a failure message shows: each outcome's send time relative to the cut, and its answer.
    const summary = outcomes
      .filter((o) => o.reply?.status !== 201 || Math.abs(o.sentAt - cutAt) < 500)
      .slice(0, 200)
      .map((o) => `${String(o.sentAt - cutAt)}ms:${String(o.reply?.status ?? o.error)}`)
      .join(' ');
    const before = outcomes.filter((o) => o.sentAt < cutAt);
    const during = outcomes.filter((o) => o.sentAt >= cutAt && o.sentAt < restoredAt);
    const after = outcomes.filter((o) => o.sentAt > restoredAt);
    expect(
      before.some((o) => o.reply?.status === 201),
      summary,
    ).toBe(true);

    // Every request got an answer, well before the client gave up; failures are 503s, never 500s.
    for (const outcome of outcomes) {
      expect(outcome.error, summary).toBeUndefined();
      expect(outcome.reply?.ms ?? clientTimeoutMs, summary).toBeLessThan(clientTimeoutMs / 2);
      if (outcome.reply?.status !== 201) {
        expect([outcome.reply?.status, errorCode(outcome.reply as HttpReply)], summary).toEqual([
          503,
          'dependency_unavailable',
        ]);
        expect(outcome.reply?.headers['retry-after'], summary).toBeDefined();
      }
    }
    expect(
      during.some((o) => o.reply?.status === 503),
      summary,
    ).toBe(true);

    // The pool reconnected by itself: writes succeed again, and the last ones all did.
    const written = after.filter((o) => o.reply?.status === 201);
    expect(written.length, summary).toBeGreaterThanOrEqual(20);
    expect(
      after.slice(-8).every((o) => o.reply?.status === 201),
      summary,
    ).toBe(true);

    // Nothing acknowledged was lost.
    const acknowledged = outcomes.flatMap((o) => (o.noteId === undefined ? [] : [o.noteId]));
    const { rows } = await withSchema(schema, (client) =>
      client.query<{ id: string }>('select id from notes where id = any($1)', [acknowledged]),
    );
    expect(rows.map((row) => row.id).sort()).toEqual([...acknowledged].sort());
    expect(instance?.child.exitCode).toBeNull();
  }, 120_000);
});
