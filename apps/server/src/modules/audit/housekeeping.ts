import type { FastifyBaseLogger } from 'fastify';
import type { DbCounterStore } from '../../lib/db-counter-store.js';
import type { SessionRepository } from '../auth/session-repository.js';
import type { AuditService } from './audit-service.js';

export const HOUSEKEEPING_INTERVAL_MS = 3_600_000;

export interface HousekeepingDeps {
  sessions: Pick<SessionRepository, 'deleteExpired'>;
  counters: Pick<DbCounterStore, 'deleteExpired'>;
  audit: Pick<AuditService, 'prune' | 'checkpointIfDue'>;
  /** AUDIT_RETENTION_DAYS in milliseconds. */
  auditRetentionMs: number;
  log: Pick<FastifyBaseLogger, 'warn'>;
  /**
   * Other stores of short-lived rows: one-time secrets, pending sign-ins, provider round trips,
   * WebAuthn challenges, finished mail.
   */
  expiring?: { deleteExpired(now: number): Promise<unknown> }[];
}

export interface HousekeepingReport {
  expiredCounters: number;
  prunedAuditEvents: number;
}

/**
 * Retention, run hourly by every instance (the deletes are idempotent, so instances need no
 * coordination): expired sessions and tokens, expired throttle counters (one row per attempted
 * email would otherwise stay forever), audit events past their retention, which leave an
 * `audit_pruned` event and a signed checkpoint at the cut behind, and the hourly signed checkpoint
 * of the audit chain's head (ADR 017), and the short-lived rows of `expiring`. Each task runs even
 * when another fails.
 */
export async function runHousekeeping(
  deps: HousekeepingDeps,
  now = Date.now(),
): Promise<HousekeepingReport> {
  const [sessions, counters, audit, ...others] = await Promise.allSettled([
    deps.sessions.deleteExpired(now),
    deps.counters.deleteExpired(now),
    // Prune first: its cut is signed, then the hourly checkpoint signs the head.
    (async () => {
      const pruned = await deps.audit.prune(deps.auditRetentionMs, now);
      await deps.audit.checkpointIfDue(now);
      return pruned;
    })(),
    ...(deps.expiring ?? []).map((store) => store.deleteExpired(now)),
  ]);
  const tasks = {
    sessions,
    counters,
    audit,
    ...Object.fromEntries(others.map((result, index) => [`expiring-${index}`, result])),
  };
  for (const [task, result] of Object.entries(tasks)) {
    if (result.status === 'rejected') {
      deps.log.warn({ err: result.reason as unknown, task }, 'housekeeping failed');
    }
  }
  return {
    expiredCounters: counters.status === 'fulfilled' ? counters.value : 0,
    prunedAuditEvents: audit.status === 'fulfilled' ? audit.value : 0,
  };
}
