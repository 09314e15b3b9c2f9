import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DbCounterStore } from '../../src/lib/db-counter-store.js';
import { newId } from '../../src/lib/random.js';
import { AuditRepository } from '../../src/modules/audit/audit-repository.js';
import { AuditService } from '../../src/modules/audit/audit-service.js';
import { runHousekeeping, type HousekeepingDeps } from '../../src/modules/audit/housekeeping.js';
import { SessionRepository } from '../../src/modules/auth/session-repository.js';
import {
  baseTestEnv,
  createUser,
  listAudit,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * Retention (issue 8): the counters table kept one row per attempted email forever and the audit
 * table had no retention. The hourly job sweeps expired counters and prunes audit events older
 * than AUDIT_RETENTION_DAYS, leaving an `audit_pruned` event that says how many went.
 */

const DAY_MS = 86_400_000;

describe('AUDIT_RETENTION_DAYS', () => {
  it('defaults to one year', () => {
    expect(loadConfig({ ...baseTestEnv }).auditRetentionDays).toBe(365);
  });

  it('takes a number of days', () => {
    expect(loadConfig({ ...baseTestEnv, AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
  });

  it.each(['0', '-1', '1.5', 'forever'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig({ ...baseTestEnv, AUDIT_RETENTION_DAYS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...baseTestEnv, AUDIT_RETENTION_DAYS: value })).toThrow(
      /AUDIT_RETENTION_DAYS/,
    );
  });
});

describe('runHousekeeping', () => {
  let testApp: TestApp;
  let admin: TestUser;
  let deps: HousekeepingDeps;

  beforeAll(async () => {
    testApp = await startTestApp({ AUDIT_RETENTION_DAYS: '30' });
    admin = await createUser(testApp, { role: 'admin' });
    const db = testApp.db();
    deps = {
      sessions: new SessionRepository(db),
      counters: new DbCounterStore(db),
      audit: new AuditService(new AuditRepository(db), testApp.app.log),
      auditRetentionMs: testApp.config.auditRetentionDays * DAY_MS,
      log: testApp.app.log,
    };
  });

  afterAll(async () => {
    await testApp.close();
  });

  async function insertAuditEvent(at: number, detail: string): Promise<void> {
    await testApp
      .db()
      .insertInto('audit_events')
      .values({
        id: newId(),
        at,
        type: 'login_failed',
        outcome: 'failure',
        actor_id: null,
        actor_email: 'someone@example.test',
        target_id: null,
        ip: '203.0.113.7',
        user_agent: null,
        detail,
      })
      .execute();
  }

  async function auditDetails(): Promise<string[]> {
    const rows = await testApp.db().selectFrom('audit_events').select('detail').execute();
    return rows.map((row) => row.detail ?? '');
  }

  it('prunes audit events past the retention, keeps the rest, and records the count', async () => {
    const now = Date.now();
    await insertAuditEvent(now - 400 * DAY_MS, 'older than a year');
    await insertAuditEvent(now - 31 * DAY_MS, 'just past 30 days');
    await insertAuditEvent(now - 29 * DAY_MS, 'just inside 30 days');

    const report = await runHousekeeping(deps, now);

    expect(report.prunedAuditEvents).toBe(2);
    const details = await auditDetails();
    expect(details).toContain('just inside 30 days');
    expect(details).not.toContain('older than a year');
    expect(details).not.toContain('just past 30 days');
    // The trail says what it lost, and when from (through the admin API like any event).
    const pruned = (await listAudit(admin.client)).filter((e) => e.type === 'audit_pruned');
    expect(pruned).toHaveLength(1);
    expect(pruned[0]).toMatchObject({ outcome: 'success', actorId: null, ip: null });
    expect(pruned[0]?.detail).toBe(
      `2 event(s) before ${new Date(now - 30 * DAY_MS).toISOString()}`,
    );
  });

  it('records nothing when nothing was pruned (every instance runs it hourly)', async () => {
    const report = await runHousekeeping(deps);
    expect(report.prunedAuditEvents).toBe(0);
    const pruned = (await listAudit(admin.client)).filter((e) => e.type === 'audit_pruned');
    expect(pruned).toHaveLength(1);
  });

  it('sweeps expired counters and keeps live ones', async () => {
    const now = Date.now();
    const db = testApp.db();
    await db
      .insertInto('counters')
      .values([
        { key: 'login:attempt:account:gone@example.test', count: 3, reset_at: now - 1 },
        { key: 'login:lock:account:gone@example.test', count: 1, reset_at: now - DAY_MS },
        { key: 'login:attempt:account:live@example.test', count: 2, reset_at: now + 60_000 },
      ])
      .execute();

    const report = await runHousekeeping(deps, now);

    expect(report.expiredCounters).toBeGreaterThanOrEqual(2);
    const keys = (await db.selectFrom('counters').select('key').execute()).map((row) => row.key);
    expect(keys).toContain('login:attempt:account:live@example.test');
    expect(keys).not.toContain('login:attempt:account:gone@example.test');
    expect(keys).not.toContain('login:lock:account:gone@example.test');
  });

  it('runs every task when one fails, and reports the failure', async () => {
    const warnings: string[] = [];
    const report = await runHousekeeping({
      ...deps,
      sessions: { deleteExpired: () => Promise.reject(new Error('sessions table busy')) },
      log: {
        warn: (details: object, message: string) => {
          warnings.push(`${message}: ${JSON.stringify(details)}`);
        },
      } as HousekeepingDeps['log'],
    });
    expect(report).toEqual({ expiredCounters: 0, prunedAuditEvents: 0 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('housekeeping failed');
    expect(warnings[0]).toContain('"task":"sessions"');
  });
});

describe("the app's hourly job", () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp();
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('also deletes unanswered WebAuthn challenges and mail finished over a week ago', async () => {
    const db = testApp.db();
    const now = Date.now();
    const challenge = (expiresAt: number) => ({
      token_hash: newId(),
      challenge: newId(),
      user_id: null,
      purpose: 'sign-in' as const,
      expires_at: expiresAt,
    });
    const expired = challenge(now - 1000);
    const live = challenge(now + 60_000);
    await db.insertInto('webauthn_challenges').values([expired, live]).execute();
    const mail = (status: 'sent' | 'failed' | 'pending', createdAt: number) => ({
      id: newId(),
      dedupe_key: newId(),
      recipient: 'someone@example.test',
      kind: 'verify-email' as const,
      subject: 'Confirm your email',
      text_body: null,
      html_body: null,
      status,
      attempts: 1,
      // A pending row due tomorrow: the mail worker leaves it alone during the test.
      next_attempt_at: status === 'pending' ? now + DAY_MS : null,
      last_error: null,
      created_at: createdAt,
      sent_at: status === 'sent' ? createdAt : null,
    });
    const oldSent = mail('sent', now - 8 * DAY_MS);
    const oldFailed = mail('failed', now - 8 * DAY_MS);
    const oldPending = mail('pending', now - 8 * DAY_MS);
    const recentSent = mail('sent', now - 6 * DAY_MS);
    await db
      .insertInto('mail_outbox')
      .values([oldSent, oldFailed, oldPending, recentSent])
      .execute();

    await testApp.app.runHousekeeping(now);

    const challenges = await db.selectFrom('webauthn_challenges').select('token_hash').execute();
    expect(challenges.map((row) => row.token_hash)).toEqual([live.token_hash]);
    const outbox = await db
      .selectFrom('mail_outbox')
      .select('id')
      .where('id', 'in', [oldSent.id, oldFailed.id, oldPending.id, recentSent.id])
      .execute();
    expect(outbox.map((row) => row.id).sort()).toEqual([oldPending.id, recentSent.id].sort());
  });
});
