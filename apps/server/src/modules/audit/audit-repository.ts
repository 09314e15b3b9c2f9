import type { Db } from '../../db/database.js';
import type { AuditEventsTable } from '../../db/schema.js';

export type AuditRow = AuditEventsTable;

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
  async list(limit: number, after?: { at: number; id: string }): Promise<AuditRow[]> {
    let query = this.db.selectFrom('audit_events').selectAll();
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
}
