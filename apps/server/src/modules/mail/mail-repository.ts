import type { Db } from '../../db/database.js';
import type { MailOutboxTable } from '../../db/schema.js';

export type MailOutboxRow = MailOutboxTable;

/** A queued message as the admin list shows it: everything but the bodies. */
export type MailOutboxSummary = Omit<MailOutboxRow, 'text_body' | 'html_body' | 'dedupe_key'>;

/** What the worker needs to claim a row: its id and the state it was seen in. */
export type DueMail = Pick<MailOutboxRow, 'id' | 'status' | 'next_attempt_at'>;

/**
 * Every state change is a compare-and-set on the row's current status (and, for a claim, on the
 * time it was seen with), so two instances polling the same table never both send one message.
 */
export class MailRepository {
  constructor(private readonly db: Db) {}

  /**
   * Inserts the row unless one with the same dedupe key exists; true when it was inserted.
   * `executor` lets a caller queue the message in the transaction that created its token.
   */
  async insertOnce(row: MailOutboxRow, executor: Db = this.db): Promise<boolean> {
    const result = await executor
      .insertInto('mail_outbox')
      .values(row)
      .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findIdByDedupeKey(dedupeKey: string, executor: Db = this.db): Promise<string | undefined> {
    const row = await executor
      .selectFrom('mail_outbox')
      .select('id')
      .where('dedupe_key', '=', dedupeKey)
      .executeTakeFirst();
    return row?.id;
  }

  /** Pending rows whose time has come, and rows whose sender's claim lapsed (it died mid-send). */
  findDue(now: number, limit: number): Promise<DueMail[]> {
    return this.db
      .selectFrom('mail_outbox')
      .select(['id', 'status', 'next_attempt_at'])
      .where('status', 'in', ['pending', 'sending'])
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
  }

  /**
   * Takes the row for one send attempt until `claimUntil`; undefined when another instance took
   * it first (the row is no longer in the state it was seen in).
   */
  claim(due: DueMail, claimUntil: number): Promise<MailOutboxRow | undefined> {
    let query = this.db
      .updateTable('mail_outbox')
      .set((eb) => ({
        status: 'sending' as const,
        next_attempt_at: claimUntil,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', due.id)
      .where('status', '=', due.status);
    query =
      due.next_attempt_at === null
        ? query.where('next_attempt_at', 'is', null)
        : query.where('next_attempt_at', '=', due.next_attempt_at);
    return query.returningAll().executeTakeFirst();
  }

  /** Sent: the bodies are dropped (they hold one-time links); what went where and when stays. */
  async markSent(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('mail_outbox')
      .set({
        status: 'sent',
        sent_at: now,
        next_attempt_at: null,
        last_error: null,
        text_body: null,
        html_body: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .execute();
  }

  async markRetry(id: string, nextAttemptAt: number, lastError: string): Promise<void> {
    await this.db
      .updateTable('mail_outbox')
      .set({ status: 'pending', next_attempt_at: nextAttemptAt, last_error: lastError })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .execute();
  }

  /** Given up: no more attempts, and the bodies go as for a sent message. */
  async markFailed(id: string, lastError: string): Promise<void> {
    await this.db
      .updateTable('mail_outbox')
      .set({
        status: 'failed',
        next_attempt_at: null,
        last_error: lastError,
        text_body: null,
        html_body: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .execute();
  }

  /** Newest first; never selects the bodies. */
  list(
    statuses: MailOutboxRow['status'][] | undefined,
    limit: number,
  ): Promise<MailOutboxSummary[]> {
    let query = this.db
      .selectFrom('mail_outbox')
      .select([
        'id',
        'recipient',
        'kind',
        'subject',
        'status',
        'attempts',
        'next_attempt_at',
        'last_error',
        'created_at',
        'sent_at',
      ]);
    if (statuses !== undefined) query = query.where('status', 'in', statuses);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /** Sent and failed rows created before `before`; pending ones are kept whatever their age. */
  async deleteFinishedBefore(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('mail_outbox')
      .where('status', 'in', ['sent', 'failed'])
      .where('created_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
