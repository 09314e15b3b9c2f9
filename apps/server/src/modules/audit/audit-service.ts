import type { FastifyBaseLogger } from 'fastify';
import type { AuditEvent, AuditEventType, AuditQuery } from '@portcullis/contract/admin';
import { decodeCursor, encodeCursor, type Page } from '../../lib/cursor.js';
import { newId } from '../../lib/random.js';
import type { AuditCheckpointsTable } from '../../db/schema.js';
import { signCheckpoint, type CheckpointClaim } from './audit-chain.js';
import { toOcsf } from './audit-ocsf.js';
import type { AuditFilter, AuditRepository, AuditRow } from './audit-repository.js';
import { verifyAuditChain, type VerifyReport } from './audit-verifier.js';

export interface AuditContext {
  ip: string | null;
  userAgent: string | null;
}

export interface AuditRecord {
  type: AuditEventType;
  outcome: 'success' | 'failure';
  actorId?: string | null;
  actorEmail?: string | null;
  targetId?: string | null;
  targetEmail?: string | null;
  detail?: string | null;
}

/**
 * Security events (ASVS 7.2): who did what, from where, with which outcome. Writing an event never
 * fails the request that caused it: a failed write is logged instead, since refusing a logout
 * because the audit table is busy would be worse than a missing row.
 */
export class AuditService {
  private readonly checkpointKeys: readonly string[];

  constructor(
    private readonly repository: AuditRepository,
    private readonly log: FastifyBaseLogger,
    /** AUDIT_CHECKPOINT_KEY, newest first; without keys no checkpoint is signed (ADR 017). */
    options: {
      checkpointKeys?: readonly string[];
      /** Told of every event (the metrics count them by type and outcome). */
      onEvent?: (record: AuditRecord) => void;
    } = {},
  ) {
    this.checkpointKeys = options.checkpointKeys ?? [];
    this.onEvent = options.onEvent;
  }

  private readonly onEvent: ((record: AuditRecord) => void) | undefined;

  async record(context: AuditContext, record: AuditRecord): Promise<void> {
    this.onEvent?.(record);
    const row: AuditRow = {
      id: newId(),
      at: Date.now(),
      type: record.type,
      outcome: record.outcome,
      actor_id: record.actorId ?? null,
      actor_email: record.actorEmail ?? null,
      target_id: record.targetId ?? null,
      target_email: record.targetEmail ?? null,
      ip: context.ip,
      user_agent: context.userAgent?.slice(0, 512) ?? null,
      detail: record.detail ?? null,
    };
    this.log.info({ audit: { ...row, user_agent: undefined } }, 'security event');
    try {
      await this.repository.append(row);
      return;
    } catch (error) {
      this.log.error({ err: error, auditType: row.type }, 'audit chain append failed');
    }
    // A missing event would be worse than one off the chain: kept unsealed, `audit verify`
    // reports it.
    try {
      await this.repository.insert(row);
    } catch (error) {
      this.log.error({ err: error, auditType: row.type }, 'audit write failed');
    }
  }

  /** A signed checkpoint of the chain's head, or undefined without a key. */
  async checkpoint(kind: 'periodic' | 'prune' = 'periodic', now = Date.now()) {
    const head = await this.repository.head();
    if (head === undefined) return undefined;
    const checkpoint = this.sign({ ...head, at: now, kind });
    if (checkpoint === undefined) return undefined;
    await this.repository.insertCheckpoint(checkpoint);
    // Also in the application log, which usually leaves the machine: a copy an attacker who can
    // write the database cannot delete (`audit verify --expect SEQ:HASH` checks against it).
    this.log.info(
      { auditCheckpoint: { seq: checkpoint.seq, hash: checkpoint.hash, mac: checkpoint.mac } },
      'audit checkpoint',
    );
    return checkpoint;
  }

  /**
   * Hourly from housekeeping. Every instance runs it; one signed within the last half hour is
   * enough, so instances mostly skip (a race only writes a duplicate, which verifies the same).
   */
  async checkpointIfDue(now = Date.now()) {
    if (this.checkpointKeys.length === 0) return undefined;
    const latest = await this.repository.latestCheckpoint();
    if (latest !== undefined && latest.at > now - 30 * 60_000) return undefined;
    return this.checkpoint('periodic', now);
  }

  private sign(claim: CheckpointClaim): AuditCheckpointsTable | undefined {
    const key = this.checkpointKeys[0];
    if (key === undefined) return undefined;
    return { id: newId(), ...claim, mac: signCheckpoint(key, claim) };
  }

  /** See verifyAuditChain. */
  verify(expected: readonly { seq: number; hash: string }[] = []): Promise<VerifyReport> {
    return verifyAuditChain(this.repository, this.checkpointKeys, expected);
  }

  /**
   * Retention: deletes events older than `retentionMs` and records how many went, so the trail
   * shows its own gaps. Nothing pruned, nothing recorded (every instance runs this hourly).
   */
  async prune(retentionMs: number, now = Date.now()): Promise<number> {
    const cutoff = now - retentionMs;
    if (this.checkpointKeys.length === 0) {
      this.log.warn(
        'audit pruned without AUDIT_CHECKPOINT_KEY: the chain cannot verify past the cut',
      );
    }
    const pruned = await this.repository.pruneBefore(cutoff, (cut) =>
      this.sign({ ...cut, at: now, kind: 'prune' }),
    );
    if (pruned > 0) {
      await this.record(
        { ip: null, userAgent: null },
        {
          type: 'audit_pruned',
          outcome: 'success',
          detail: `${pruned} event(s) before ${new Date(cutoff).toISOString()}`,
        },
      );
    }
    return pruned;
  }

  async list(
    limit: number,
    cursor: string | undefined,
    filter: AuditFilter = {},
  ): Promise<Page<AuditEvent>> {
    const after = decodeCursor(cursor);
    const rows = await this.repository.list(limit + 1, after, filter);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toAuditEvent),
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.at, last.id) : null,
    };
  }

  /**
   * Up to `max` events matching `filter`, newest first, fetched a page at a time so an export of
   * thousands of rows never holds one huge result in the driver at once.
   */
  async *each(filter: AuditFilter, max: number): AsyncGenerator<AuditEvent> {
    for await (const row of this.eachRow(filter, max)) yield toAuditEvent(row);
  }

  /** As `each`, in the OCSF schema of docs/audit-export.md. */
  async *eachOcsf(filter: AuditFilter, max: number): AsyncGenerator<string> {
    for await (const row of this.eachRow(filter, max)) yield JSON.stringify(toOcsf(row));
  }

  /**
   * Sealed events in chain order from time `sinceMs` (or after sequence `afterSeq`, a SIEM's
   * cursor), as OCSF JSON lines: what `audit export` streams.
   */
  async *exportSince(options: { sinceMs?: number; afterSeq?: number }): AsyncGenerator<string> {
    let afterSeq = options.afterSeq ?? 0;
    for (;;) {
      const rows = await this.repository.sealedAfter(afterSeq, 500, options.sinceMs);
      for (const row of rows) yield JSON.stringify(toOcsf(row));
      const last = rows.at(-1);
      if (last === undefined || rows.length < 500) return;
      afterSeq = Number(last.seq);
    }
  }

  private async *eachRow(filter: AuditFilter, max: number): AsyncGenerator<AuditRow> {
    let after: { at: number; id: string } | undefined;
    let remaining = max;
    while (remaining > 0) {
      const rows = await this.repository.list(Math.min(500, remaining), after, filter);
      yield* rows;
      const last = rows.at(-1);
      if (last === undefined || rows.length < Math.min(500, remaining)) return;
      remaining -= rows.length;
      after = { at: last.at, id: last.id };
    }
  }

  /** See AuditRepository.scrubPersonalData. */
  scrubPersonalData(userId: string, email: string): Promise<number> {
    return this.repository.scrubPersonalData(userId, email);
  }
}

/** The admin's query string as a repository filter (emails exact, times as ISO 8601). */
export function auditFilterOf(query: Omit<AuditQuery, 'limit' | 'cursor'>): AuditFilter {
  return {
    ...(query.type === undefined ? {} : { type: query.type }),
    ...(query.actor === undefined || query.actor === '' ? {} : { actorEmail: query.actor }),
    ...(query.target === undefined || query.target === '' ? {} : { targetEmail: query.target }),
    ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
    ...(query.from === undefined ? {} : { fromMs: Date.parse(query.from) }),
    ...(query.to === undefined ? {} : { toMs: Date.parse(query.to) }),
  };
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    type: row.type as AuditEventType,
    outcome: row.outcome,
    actorId: row.actor_id,
    actorEmail: row.actor_email,
    targetId: row.target_id,
    targetEmail: row.target_email,
    ip: row.ip,
    userAgent: row.user_agent,
    detail: row.detail,
  };
}
