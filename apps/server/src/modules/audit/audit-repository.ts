import type { ExpressionBuilder } from 'kysely';
import type { AuditEventType } from '@portcullis/contract/admin';
import type { Database } from '../../db/schema.js';
import type { Db } from '../../db/database.js';
import type { AuditEventsTable } from '../../db/schema.js';

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

export class AuditRepository {
  constructor(private readonly db: Db) {}

  async insert(row: AuditRow): Promise<void> {
    await this.db.insertInto('audit_events').values(row).execute();
  }

  /** Retention: deletes events recorded before `cutoff` (the (at, id) index serves it). */
  async deleteBefore(cutoff: number): Promise<number> {
    const result = await this.db
      .deleteFrom('audit_events')
      .where('at', '<', cutoff)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
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
    const asActor = await this.db
      .updateTable('audit_events')
      .set({ actor_email: null, ip: null, user_agent: null, detail: null })
      .where((eb) => eb.or([eb('actor_id', '=', userId), eb('actor_email', '=', email)]))
      .executeTakeFirst();
    const asTarget = await this.db
      .updateTable('audit_events')
      .set({ target_email: null, detail: null })
      .where('target_id', '=', userId)
      .executeTakeFirst();
    return Number(asActor.numUpdatedRows) + Number(asTarget.numUpdatedRows);
  }
}
