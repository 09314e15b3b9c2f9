import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrations.js';
import { sealEvent } from '../../src/modules/audit/audit-chain.js';
import { toOcsf } from '../../src/modules/audit/audit-ocsf.js';
import { AuditRepository, type AuditRow } from '../../src/modules/audit/audit-repository.js';
import { AuditService } from '../../src/modules/audit/audit-service.js';
import { sharedBackendUrls } from '../support/shared-backends.js';

/**
 * The tamper-evident audit trail (issue 13 part 3, ADR 017; ASVS 5.0 16.4.2: logs are protected
 * from modification). Each test tampers with the stored rows the way someone with write access to
 * the database could, and `audit verify` must name the first sequence that no longer verifies.
 */

const context = { ip: '203.0.113.9', userAgent: 'audit-chain-test' };

const { databaseUrl } = sharedBackendUrls();
const log = pino({ level: 'silent' });
const checkpointKeys = [randomBytes(32).toString('base64url')];

interface TestDatabase {
  /** Each call: a new pool on the same database, as another instance would have. */
  connect(): Db;
  close(): Promise<void>;
}

/**
 * Only the database: the chain is the repository's and the service's, so no server is built.
 * PostgreSQL in the 'server-postgres' project (a schema per database), a SQLite file otherwise.
 */
async function openDatabase(): Promise<TestDatabase> {
  let target: Parameters<typeof createDatabase>[0];
  let dir: string | undefined;
  if (databaseUrl === undefined) {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-audit-'));
    target = { kind: 'sqlite', file: path.join(dir, 'audit.sqlite') };
  } else {
    target = { kind: 'postgres', url: databaseUrl, schema: `pc_${randomBytes(6).toString('hex')}` };
  }
  const pools: Db[] = [];
  const connect = () => {
    const pool = createDatabase(target);
    pools.push(pool);
    return pool;
  };
  await migrateToLatest(connect() as never);
  return {
    connect,
    async close() {
      for (const pool of pools) await pool.destroy();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

let database: TestDatabase;
let db: Db;
let audit: AuditService;

beforeAll(async () => {
  database = await openDatabase();
  db = database.connect();
  audit = new AuditService(new AuditRepository(db), log, { checkpointKeys });
});

afterAll(async () => {
  await database.close();
});

async function recordEvents(count: number, label: string): Promise<AuditRow[]> {
  for (let i = 0; i < count; i += 1) {
    await audit.record(context, {
      type: 'login_failed',
      outcome: 'failure',
      actorEmail: `${label}-${i}@example.test`,
      detail: `${label} ${i}`,
    });
  }
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', 'is not', null)
    .orderBy('seq')
    .execute();
}

async function row(seq: number): Promise<AuditRow> {
  return db.selectFrom('audit_events').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
}

describe('audit verify', () => {
  let rows: AuditRow[];
  let third: AuditRow;
  let fourth: AuditRow;

  beforeAll(async () => {
    rows = await recordEvents(8, 'tamper');
    third = rows[2] as AuditRow;
    fourth = rows[3] as AuditRow;
  });

  it('accepts the chain as written, every event sealed in order', async () => {
    const report = await audit.verify();
    expect(report.broken).toBeNull();
    expect(report.ok).toBe(true);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => (rows[0]?.seq ?? 0) + i));
    for (const [i, r] of rows.entries()) {
      if (i > 0) expect(r.prev_hash).toBe(rows[i - 1]?.hash);
    }
  });

  it.each([
    ['a personal field', { detail: 'nothing happened' }],
    ['the type', { type: 'login_succeeded' }],
    ['the outcome', { outcome: 'success' as const }],
    ['the time', { at: 1 }],
    ['the actor', { actor_id: 'someone-else' }],
  ])('detects an altered event (%s) at its sequence', async (_what, change) => {
    const seq = third.seq ?? 0;
    await db.updateTable('audit_events').set(change).where('seq', '=', seq).execute();
    const report = await audit.verify();
    expect(report.ok).toBe(false);
    expect(report.broken?.seq).toBe(seq);
    await db.updateTable('audit_events').set(third).where('id', '=', third.id).execute();
    expect((await audit.verify()).ok).toBe(true);
  });

  it('detects an altered event whose hash was recomputed, at the next sequence', async () => {
    const seq = third.seq ?? 0;
    const forged = sealEvent({ ...third, detail: 'rewritten' }, seq, third.prev_hash ?? '');
    await db
      .updateTable('audit_events')
      .set({ ...forged, detail: 'rewritten' })
      .where('seq', '=', seq)
      .execute();
    expect((await audit.verify()).broken?.seq).toBe(seq + 1);
    await db.updateTable('audit_events').set(third).where('id', '=', third.id).execute();
  });

  it('detects a deleted event, naming the missing sequence', async () => {
    await db.deleteFrom('audit_events').where('id', '=', third.id).execute();
    const report = await audit.verify();
    expect(report.broken).toEqual({ seq: third.seq, reason: `event ${third.seq} is missing` });
    await db.insertInto('audit_events').values(third).execute();
    expect((await audit.verify()).ok).toBe(true);
  });

  it('detects reordered events at the first one moved', async () => {
    const [a, b] = [third.seq ?? 0, fourth.seq ?? 0];
    await db.updateTable('audit_events').set({ seq: -1 }).where('id', '=', third.id).execute();
    await db.updateTable('audit_events').set({ seq: a }).where('id', '=', fourth.id).execute();
    await db.updateTable('audit_events').set({ seq: b }).where('id', '=', third.id).execute();
    expect((await audit.verify()).broken?.seq).toBe(a);
    // Swapping every column but the sequence is a reorder too: the links no longer join.
    await db
      .updateTable('audit_events')
      .set({ ...third, id: 'x' })
      .where('id', '=', fourth.id)
      .execute();
    await db
      .updateTable('audit_events')
      .set({ ...fourth, seq: b })
      .where('id', '=', third.id)
      .execute();
    await db.updateTable('audit_events').set(third).where('id', '=', 'x').execute();
    expect((await audit.verify()).ok).toBe(true);
  });

  it('reports an event written around the chain', async () => {
    await db
      .insertInto('audit_events')
      .values({ ...third, id: 'planted', seq: null, prev_hash: null, hash: null })
      .execute();
    const report = await audit.verify();
    expect(report.ok).toBe(false);
    expect(report.unsealed.ids).toEqual(['planted']);
    await db.deleteFrom('audit_events').where('id', '=', 'planted').execute();
  });
});

describe('signed checkpoints', () => {
  it('detect a log truncated and rebuilt, which the chain alone accepts', async () => {
    const before = await recordEvents(3, 'checkpointed');
    const checkpoint = await audit.checkpoint();
    expect(checkpoint?.seq).toBe(before.at(-1)?.seq);
    const head = checkpoint?.seq ?? 0;
    const cut = head - 2;

    // The attack: drop the last events and append forged ones after the cut, re-linking the
    // chain and its head exactly as the server would.
    const keep = await row(cut - 1);
    await db.deleteFrom('audit_events').where('seq', '>=', cut).execute();
    await db
      .updateTable('audit_chain_head')
      .set({ seq: cut - 1, hash: keep.hash ?? '' })
      .execute();
    const repository = new AuditRepository(db);
    for (let i = 0; i < 4; i += 1) {
      await repository.append({ ...keep, id: `forged-${i}`, at: Date.now(), detail: 'all fine' });
    }

    // Without the checkpoint the rebuilt chain is consistent: this is what the key defends.
    const keyless = await new AuditService(repository, log).verify();
    expect(keyless.broken).toBeNull();

    const report = await audit.verify();
    expect(report.ok).toBe(false);
    expect(report.broken?.seq).toBe(head);
    expect(report.broken?.reason).toMatch(/differs from a signed checkpoint/);
  });

  it('detect a truncation that keeps every remaining event intact', async () => {
    const head = (await audit.checkpoint())?.seq ?? 0;
    await db
      .deleteFrom('audit_events')
      .where('seq', '>', head - 3)
      .execute();
    const last = await row(head - 3);
    await db
      .updateTable('audit_chain_head')
      .set({ seq: head - 3, hash: last.hash ?? '' })
      .execute();
    const report = await audit.verify();
    expect(report.broken?.seq).toBe(head - 2);
    expect(report.broken?.reason).toMatch(/truncated/);
  });

  it('refuse a checkpoint signed with another key', async () => {
    const forger = new AuditService(new AuditRepository(db), log, {
      checkpointKeys: ['k'.repeat(40)],
    });
    await forger.checkpoint();
    expect((await audit.verify()).invalidCheckpoints).toHaveLength(1);
  });
});

describe('on a fresh database', () => {
  let fresh: TestDatabase;
  let freshDb: Db;
  let service: AuditService;

  beforeAll(async () => {
    fresh = await openDatabase();
    freshDb = fresh.connect();
    service = new AuditService(new AuditRepository(freshDb), log, { checkpointKeys });
  });

  afterAll(async () => {
    await fresh.close();
  });

  it("keeps a deleted account's scrubbed events verifiable, with nothing left to confirm a guess", async () => {
    const userId = 'deleted-user-id';
    const email = 'deleted@example.test';
    await service.record(context, {
      type: 'login_succeeded',
      outcome: 'success',
      actorId: userId,
      actorEmail: email,
      detail: `hello ${email}`,
    });
    await service.record(context, {
      type: 'role_changed',
      outcome: 'success',
      actorId: 'admin-id',
      actorEmail: 'admin@example.test',
      targetId: userId,
      targetEmail: email,
      detail: 'user → admin',
    });
    expect(await service.scrubPersonalData(userId, email)).toBe(2);
    const rows = await freshDb
      .selectFrom('audit_events')
      .selectAll()
      .where((eb) => eb.or([eb('actor_id', '=', userId), eb('target_id', '=', userId)]))
      .execute();
    expect(rows.map((r) => [r.actor_email, r.target_email, r.detail])).toEqual(
      expect.arrayContaining([
        [null, null, null],
        ['admin@example.test', null, null],
      ]),
    );
    // The salts went with the fields: the digests that stay cannot be matched against an address.
    for (const r of rows) {
      expect(r.detail_seal).toMatch(/^[0-9a-f]{64}$/);
    }
    const report = await service.verify();
    expect(report.broken).toBeNull();
    expect(report.ok).toBe(true);
    // Putting a value back on a scrubbed event is tampering like any other.
    await freshDb
      .updateTable('audit_events')
      .set({ detail: 'restored' })
      .where('target_id', '=', userId)
      .execute();
    expect((await service.verify()).ok).toBe(false);
    await freshDb
      .updateTable('audit_events')
      .set({ detail: null })
      .where('target_id', '=', userId)
      .execute();
  });

  it('prunes at a signed cut that the remaining chain verifies from', async () => {
    const before = await freshDb
      .selectFrom('audit_events')
      .select(['seq', 'at'])
      .orderBy('seq')
      .execute();
    const lastBefore = before.at(-1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await service.record(context, { type: 'logout', outcome: 'success', detail: 'kept' });
    const keptAt = (
      await freshDb
        .selectFrom('audit_events')
        .select('at')
        .where('detail', '=', 'kept')
        .executeTakeFirstOrThrow()
    ).at;
    const now = Date.now();
    const pruned = await service.prune(now - keptAt, now);
    expect(pruned).toBe(before.length);
    const checkpoints = await freshDb.selectFrom('audit_checkpoints').selectAll().execute();
    expect(checkpoints).toMatchObject([{ kind: 'prune', seq: lastBefore?.seq }]);
    expect((await service.verify()).ok).toBe(true);

    // Without the checkpoint at the cut, the events before it are simply gone: refused.
    await freshDb.deleteFrom('audit_checkpoints').execute();
    const report = await service.verify();
    expect(report.broken?.seq).toBe((lastBefore?.seq ?? 0) + 1);
    expect(report.broken?.reason).toMatch(/no signed checkpoint/);
  });

  it('exports OCSF records in chain order', async () => {
    const lines: string[] = [];
    for await (const line of service.exportSince({ sinceMs: 0 })) lines.push(line);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(0);
    const first = await freshDb
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('seq')
      .executeTakeFirstOrThrow();
    expect(records[0]).toEqual(toOcsf(first));
    expect(records.map((r) => (r.metadata as { sequence: number }).sequence)).toEqual(
      [...records.keys()].map((i) => (first.seq ?? 0) + i),
    );
  });
});

/** Reads the head and appends without locking it: what the chain's lock prevents. */
class UnlockedAppend extends AuditRepository {
  constructor(private readonly database: Db) {
    super(database);
  }

  override async append(event: AuditRow) {
    const head = await this.database
      .selectFrom('audit_chain_head')
      .selectAll()
      .executeTakeFirstOrThrow();
    const seal = sealEvent(event, head.seq + 1, head.hash);
    await this.database
      .insertInto('audit_events')
      .values({ ...event, ...seal })
      .execute();
    await this.database
      .updateTable('audit_chain_head')
      .set({ seq: seal.seq, hash: seal.hash })
      .execute();
    return seal;
  }
}

describe.skipIf(databaseUrl === undefined)('concurrent writers on PostgreSQL', () => {
  let shared: TestDatabase;
  let instances: Db[];

  beforeAll(async () => {
    shared = await openDatabase();
    // Two pools, as two instances have: appends from each race on the same head row.
    instances = [shared.connect(), shared.connect()];
  });

  afterAll(async () => {
    await shared.close();
  });

  async function race(repositories: AuditRepository[], perInstance: number): Promise<string[]> {
    const tag = `race-${Date.now()}`;
    const services = repositories.map(
      (repository) => new AuditService(repository, log, { checkpointKeys }),
    );
    await Promise.all(
      services.flatMap((service, n) =>
        Array.from({ length: perInstance }, (_, i) =>
          service.record(context, {
            type: 'admin_read',
            outcome: 'success',
            detail: `${tag} ${n}-${i}`,
          }),
        ),
      ),
    );
    const rows = await shared
      .connect()
      .selectFrom('audit_events')
      .select('detail')
      .where('detail', 'like', `${tag}%`)
      .execute();
    return rows.map((r) => r.detail ?? '');
  }

  it('keeps one chain and every event when two instances append at once', async () => {
    const [one, two] = instances as [Db, Db];
    const details = await race([new AuditRepository(one), new AuditRepository(two)], 100);
    expect(details).toHaveLength(200);
    const service = new AuditService(new AuditRepository(shared.connect()), log, {
      checkpointKeys,
    });
    const report = await service.verify();
    expect(report.broken).toBeNull();
    expect(report.ok).toBe(true);
  }, 30_000);

  it('forks without the lock (the weakened append), which verify reports', async () => {
    const [one, two] = instances as [Db, Db];
    const details = await race([new UnlockedAppend(one), new UnlockedAppend(two)], 50);
    // No event is lost (the unique sequence refuses the fork, the event is kept unsealed)...
    expect(details).toHaveLength(100);
    const service = new AuditService(new AuditRepository(shared.connect()), log, {
      checkpointKeys,
    });
    // ...but the chain no longer verifies.
    expect((await service.verify()).ok).toBe(false);
  }, 30_000);
});
