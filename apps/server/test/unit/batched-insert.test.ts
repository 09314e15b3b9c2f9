import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BatchedInsert } from '../../src/db/batched-insert.js';

/** A table that refuses negative rows, recording each statement it is sent. */
function table() {
  const statements: number[][] = [];
  const stored: number[] = [];
  const write = (rows: readonly number[]): Promise<void> => {
    statements.push([...rows]);
    if (rows.some((row) => row < 0)) return Promise.reject(new Error('constraint failed'));
    stored.push(...rows);
    return Promise.resolve();
  };
  return { statements, stored, write };
}

describe('BatchedInsert', () => {
  it('sends the rows asked for in one turn as one statement, and settles after it', async () => {
    const { statements, stored, write } = table();
    const inserts = new BatchedInsert(write);
    let settled = 0;
    const all = [1, 2, 3].map((row) => inserts.insert(row).then(() => (settled += 1)));
    expect(statements).toEqual([]);
    expect(settled).toBe(0);
    await Promise.all(all);
    expect(statements).toEqual([[1, 2, 3]]);
    expect(stored).toEqual([1, 2, 3]);

    await nextTurn();
    await inserts.insert(4);
    expect(statements).toEqual([[1, 2, 3], [4]]);
  });

  it('when the batch fails, retries each row alone: only the bad row is refused', async () => {
    const { statements, stored, write } = table();
    const inserts = new BatchedInsert(write);
    const outcomes = await Promise.allSettled([1, -2, 3].map((row) => inserts.insert(row)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(statements).toEqual([[1, -2, 3], [1], [-2], [3]]);
    expect(stored).toEqual([1, 3]);
  });

  it('a lone failing row is refused without a retry', async () => {
    const { statements, write } = table();
    const inserts = new BatchedInsert(write);
    await expect(inserts.insert(-1)).rejects.toThrow('constraint failed');
    expect(statements).toEqual([[-1]]);
  });

  it('never puts more than maxRows rows in one statement', async () => {
    const { statements, write } = table();
    const inserts = new BatchedInsert(write, 2);
    await Promise.all([1, 2, 3, 4, 5].map((row) => inserts.insert(row)));
    expect(statements).toEqual([[1, 2], [3, 4], [5]]);
  });
});
