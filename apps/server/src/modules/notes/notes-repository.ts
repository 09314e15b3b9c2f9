import { BatchedInsert } from '../../db/batched-insert.js';
import type { Db } from '../../db/database.js';
import type { NotesTable } from '../../db/schema.js';

export type NoteRow = NotesTable;

/**
 * Every query is scoped by owner: there is no way to reach a note through this class without
 * naming its owner, so another user's note is simply not found (no IDOR).
 */
export class NotesRepository {
  // Notes are the app's busiest write: concurrent creates share one statement and one commit.
  private readonly inserts: BatchedInsert<NoteRow>;

  constructor(private readonly db: Db) {
    this.inserts = new BatchedInsert(async (rows) => {
      await this.db.insertInto('notes').values(rows).execute();
    });
  }

  insert(row: NoteRow): Promise<void> {
    return this.inserts.insert(row);
  }

  find(ownerId: string, id: string): Promise<NoteRow | undefined> {
    return this.db
      .selectFrom('notes')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** A page, newest first. The owner's id is left out of each row: the caller already has it. */
  list(
    ownerId: string,
    limit: number,
    after?: { at: number; id: string },
  ): Promise<Omit<NoteRow, 'owner_id'>[]> {
    let query = this.db
      .selectFrom('notes')
      .select(['id', 'title', 'body', 'created_at', 'updated_at'])
      .where('owner_id', '=', ownerId);
    if (after !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', after.at),
          eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)]),
        ]),
      );
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  async update(
    ownerId: string,
    id: string,
    changes: { title?: string; body?: string; updated_at: number },
  ): Promise<NoteRow | undefined> {
    return this.db
      .updateTable('notes')
      .set(changes)
      .where('owner_id', '=', ownerId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(ownerId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('notes')
      .where('owner_id', '=', ownerId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
