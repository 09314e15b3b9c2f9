import { setImmediate as nextCheckPhase } from 'node:timers';

interface Pending<Row> {
  readonly row: Row;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for one table's inserts. The rows of every request that asks within the same turn
 * of the event loop go to the database as one multi-row INSERT: one statement, one transaction,
 * one WAL append instead of one each. Each caller's promise settles only after the commit, so a
 * request never answers before its row is stored. Under load many requests land in one turn; alone,
 * a request waits only for the check phase of the turn it arrived in.
 *
 * If the batch fails (one row breaks a constraint, e.g. its owner was deleted a moment earlier),
 * each row is retried alone, so every caller gets its own row's outcome and no other's.
 */
export class BatchedInsert<Row> {
  private pending: Pending<Row>[] = [];

  /**
   * @param write inserts the rows in one statement.
   * @param maxRows keeps a statement under the database's bound-parameter limit.
   */
  constructor(
    private readonly write: (rows: readonly Row[]) => Promise<void>,
    private readonly maxRows = 200,
  ) {}

  insert(row: Row): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (this.pending.length === 1) nextCheckPhase(() => void this.flush());
      else if (this.pending.length >= this.maxRows) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      await this.write(batch.map((entry) => entry.row));
      for (const entry of batch) entry.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const entry of batch) {
        try {
          await this.write([entry.row]);
          entry.resolve();
        } catch (rowError) {
          entry.reject(rowError);
        }
      }
    }
  }
}
