import { sql, type ExpressionBuilder } from 'kysely';
import type { AuditEventType } from '@portcullis/contract/admin';
import type { Database } from '../../db/schema.js';
import type { Db } from '../../db/database.js';
import type { AuditCheckpointsTable, AuditEventsTable } from '../../db/schema.js';
import { sealEvent, type EventSeal } from './audit-chain.js';

export type AuditRow = AuditEventsTable;

/** The admin's view of the trail, narrowed; every field is optional and they combine with AND. */
export interface AuditFilter {
  type?: AuditEventType;
  actorEmail?: string;
  targetEmail?: string;
  outcome?: 'success' | 'failure';
  fromMs?: number;
  toMs?: number;
  /** Events about the user (their own activity page). */
  involvingUserId?: string;
  types?: readonly AuditEventType[];
}

type Where = ExpressionBuilder<Database, 'audit_events'>;

function matching(filter: AuditFilter) {
  return (eb: Where) => {
    const conditions = [];
    if (filter.type !== undefined) conditions.push(eb('type', '=', filter.type));
    if (filter.types !== undefined) conditions.push(eb('type', 'in', filter.types));
    if (filter.actorEmail !== undefined) conditions.push(eb('actor_email', '=', filter.actorEmail));
    if (filter.targetEmail !== undefined)
      conditions.push(eb('target_email', '=', filter.targetEmail));
    if (filter.outcome !== undefined) conditions.push(eb('outcome', '=', filter.outcome));
    if (filter.fromMs !== undefined) conditions.push(eb('at', '>=', filter.fromMs));
    if (filter.toMs !== undefined) conditions.push(eb('at', '<=', filter.toMs));
    if (filter.involvingUserId !== undefined) {
      // Done to the user, or done by the user to no one else (an admin's actions on other
      // accounts are theirs to see in the audit log, not on their own activity page).
      conditions.push(
        eb.or([
          eb('target_id', '=', filter.involvingUserId),
          eb.and([
            eb('actor_id', '=', filter.involvingUserId),
            eb.or([eb('target_id', 'is', null), eb('target_id', '=', filter.involvingUserId)]),
          ]),
        ]),
      );
    }
    return eb.and(conditions);
  };
}

/** `<32 hex salt>.<digest>` becomes `<digest>`; substr and length mean the same on both databases. */
function unsalted(column: 'actor_seal' | 'target_seal' | 'detail_seal') {
  return sql<
    string | null
  >`case when length(${sql.ref(column)}) > 64 then substr(${sql.ref(column)}, 34) else ${sql.ref(column)} end`;
}

export class AuditRepository {
  constructor(private readonly db: Db) {}

  /** Unsealed: only when sealing failed, so the event is kept and `audit verify` shows it. */
  async insert(row: AuditRow): Promise<void> {
    await this.db.insertInto('audit_events').values(row).execute();
  }

  /**
   * Seals the event as the chain's next link, in one transaction with the row. The first
   * statement takes the head row's lock (PostgreSQL holds it to commit; on SQLite a write first
   * takes the database's write lock), so appends from every connection and every instance queue
   * there: each reads the hash the previous one committed, and no two get the same sequence.
   */
  async append(event: AuditRow): Promise<EventSeal> {
    return this.db.transaction().execute(async (trx) => {
      const head = await trx
        .updateTable('audit_chain_head')
        .set((eb) => ({ seq: eb('seq', '+', 1) }))
        .where('id', '=', 1)
        .returning(['seq', 'hash'])
        .executeTakeFirst();
      if (head === undefined) throw new Error('the audit chain head row is missing');
      const seal = sealEvent(event, head.seq, head.hash);
      await trx
        .insertInto('audit_events')
        .values({ ...event, ...seal })
        .execute();
      await trx
        .updateTable('audit_chain_head')
        .set({ hash: seal.hash })
        .where('id', '=', 1)
        .execute();
      return seal;
    });
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    const row = await this.db
      .selectFrom('audit_chain_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    return row === undefined ? undefined : { seq: row.seq, hash: row.hash };
  }

  async insertCheckpoint(checkpoint: AuditCheckpointsTable): Promise<void> {
    await this.db.insertInto('audit_checkpoints').values(checkpoint).execute();
  }

  async latestCheckpoint(): Promise<AuditCheckpointsTable | undefined> {
    return this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .orderBy('at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async checkpoints(): Promise<AuditCheckpointsTable[]> {
    return this.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
  }

  /** Sealed events in chain order, after sequence `afterSeq`, optionally from time `sinceMs`. */
  async sealedAfter(afterSeq: number, limit: number, sinceMs?: number): Promise<AuditRow[]> {
    let query = this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit);
    if (sinceMs !== undefined) query = query.where('at', '>=', sinceMs);
    return query.execute();
  }

  /** Rows that are not on the chain: written around it, or while sealing failed. */
  async unsealed(limit: number): Promise<AuditRow[]> {
    return this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', 'is', null)
      .orderBy('at')
      .limit(limit)
      .execute();
  }

  /**
   * Retention: cuts the chain before the first sealed event at or after `cutoff` (so nothing
   * inside the retention goes, even when instances' clocks disagree about a few rows), after
   * signing a checkpoint of the last event cut: the remaining chain verifies from it. Unsealed
   * rows go by their time. One transaction, so a checkpoint never names a cut that did not happen.
   */
  async pruneBefore(
    cutoff: number,
    signCut: (cut: { seq: number; hash: string }) => AuditCheckpointsTable | undefined,
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const kept = await trx
        .selectFrom('audit_events')
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('at', '>=', cutoff)
        .where('seq', 'is not', null)
        .executeTakeFirst();
      let cutSeq: number | undefined;
      if (kept?.seq !== null && kept?.seq !== undefined) cutSeq = kept.seq - 1;
      else {
        const last = await trx
          .selectFrom('audit_events')
          .select((eb) => eb.fn.max('seq').as('seq'))
          .executeTakeFirst();
        if (last?.seq !== null && last?.seq !== undefined) cutSeq = last.seq;
      }
      let deleted = 0;
      if (cutSeq !== undefined && cutSeq >= 1) {
        const cut = await trx
          .selectFrom('audit_events')
          .select(['seq', 'hash'])
          .where('seq', '=', cutSeq)
          .executeTakeFirst();
        // Missing: another instance pruned to the same cut first.
        if (cut?.hash !== null && cut?.hash !== undefined) {
          const checkpoint = signCut({ seq: cutSeq, hash: cut.hash });
          if (checkpoint !== undefined) {
            await trx.insertInto('audit_checkpoints').values(checkpoint).execute();
          }
          const sealed = await trx
            .deleteFrom('audit_events')
            .where('seq', '<=', cutSeq)
            .executeTakeFirst();
          deleted += Number(sealed.numDeletedRows);
        }
      }
      const unsealed = await trx
        .deleteFrom('audit_events')
        .where('seq', 'is', null)
        .where('at', '<', cutoff)
        .executeTakeFirst();
      return deleted + Number(unsealed.numDeletedRows);
    });
  }

  /** Newest first, keyset-paginated on (at, id) so deep pages cost the same as the first. */
  async list(
    limit: number,
    after?: { at: number; id: string },
    filter: AuditFilter = {},
  ): Promise<AuditRow[]> {
    let query = this.db.selectFrom('audit_events').selectAll().where(matching(filter));
    if (after !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb('at', '<', after.at),
          eb.and([eb('at', '=', after.at), eb('id', '<', after.id)]),
        ]),
      );
    }
    return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /**
   * A deleted account's trail stays (what happened, when, with which outcome, under its random
   * id) but loses what identifies the person: addresses, network addresses, browsers and the
   * free-text detail, which may quote an address.
   */
  async scrubPersonalData(userId: string, email: string): Promise<number> {
    // The seals of the scrubbed groups lose their salt and keep their digest: the chain still
    // verifies, and nothing left can confirm a guessed address (audit-chain.ts).
    const actorSeal = unsalted('actor_seal');
    const detailSeal = unsalted('detail_seal');
    const asActor = await this.db
      .updateTable('audit_events')
      .set({
        actor_email: null,
        ip: null,
        user_agent: null,
        detail: null,
        actor_seal: actorSeal,
        detail_seal: detailSeal,
      })
      .where((eb) => eb.or([eb('actor_id', '=', userId), eb('actor_email', '=', email)]))
      .executeTakeFirst();
    const asTarget = await this.db
      .updateTable('audit_events')
      .set({
        target_email: null,
        detail: null,
        target_seal: unsalted('target_seal'),
        detail_seal: unsalted('detail_seal'),
      })
      .where('target_id', '=', userId)
      .executeTakeFirst();
    return Number(asActor.numUpdatedRows) + Number(asTarget.numUpdatedRows);
  }
}
