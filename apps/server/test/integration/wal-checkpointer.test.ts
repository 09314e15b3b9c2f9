import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/database.js';
import { startWalCheckpointer, type WalCheckpointer } from '../../src/db/wal-checkpointer.js';

/**
 * SQLite's checkpoints, which copy the write-ahead log into the database file and sync it, run on a
 * worker thread's connection instead of inside whichever request's commit crossed 1,000 pages.
 */

const dirs: string[] = [];
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openWalDatabase(): { sqlite: SqliteDatabase.Database; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-wal-'));
  dirs.push(dir);
  const file = path.join(dir, 'db.sqlite');
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('create table pages (id integer primary key, data blob not null)');
  cleanups.push(() => {
    sqlite.close();
  });
  return { sqlite, file };
}

function writePages(sqlite: SqliteDatabase.Database, count: number): void {
  const insert = sqlite.prepare('insert into pages (data) values (?)');
  // One commit each, as requests do: every commit appends its pages to the WAL.
  for (let i = 0; i < count; i += 1) insert.run(Buffer.alloc(3000, i % 251));
}

function keep(checkpointer: WalCheckpointer): WalCheckpointer {
  cleanups.unshift(() => {
    checkpointer.stop();
  });
  return checkpointer;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('WAL checkpointer', () => {
  it('turns the automatic checkpoint off, and the worker copies the WAL into the file by itself', async () => {
    const { sqlite, file } = openWalDatabase();
    keep(startWalCheckpointer(sqlite, file, { intervalMs: 50 }));
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    const before = statSync(file).size;
    writePages(sqlite, 400);
    // Nobody on this connection checkpoints, so the file grows only by the worker's hand.
    await until(() => statSync(file).size > before + 400 * 3000);
  });

  it('a checkpoint on demand reports every frame of the log copied', async () => {
    const { sqlite, file } = openWalDatabase();
    // An interval longer than the test: only the explicit checkpoint runs.
    const checkpointer = keep(startWalCheckpointer(sqlite, file, { intervalMs: 600_000 }));
    writePages(sqlite, 50);
    const answer = await checkpointer.checkpointNow();
    expect(answer.busy).toBe(0);
    expect(answer.log).toBeGreaterThanOrEqual(50);
    expect(answer.checkpointed).toBe(answer.log);
  });

  it('on close the worker lets go first, so the app’s connection checkpoints and removes the WAL', async () => {
    const { sqlite, file } = openWalDatabase();
    // An interval longer than the test: the log is still full when closing begins.
    const checkpointer = startWalCheckpointer(sqlite, file, { intervalMs: 600_000 });
    // Once this answers, the worker's connection is open, as it is in a server that has run a while.
    await checkpointer.checkpointNow();
    writePages(sqlite, 200);
    expect(existsSync(`${file}-wal`)).toBe(true);
    checkpointer.stop();
    sqlite.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('if the worker fails, SQLite’s own automatic checkpoint is turned back on', async () => {
    const { sqlite } = openWalDatabase();
    keep(startWalCheckpointer(sqlite, path.join(tmpdir(), 'portcullis-no-such-dir', 'x.sqlite')));
    await until(() => sqlite.pragma('wal_autocheckpoint', { simple: true }) === 1000);
  });

  it('the server asks createDatabase for it; other callers keep SQLite’s automatic checkpoint', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-wal-'));
    dirs.push(dir);
    const server = createDatabase(
      { kind: 'sqlite', file: path.join(dir, 'server.sqlite') },
      { walCheckpointer: true },
    );
    const cli = createDatabase({ kind: 'sqlite', file: path.join(dir, 'cli.sqlite') });
    try {
      const setting = async (db: typeof server) =>
        (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows[0]
          ?.wal_autocheckpoint;
      expect(await setting(server)).toBe(0);
      expect(await setting(cli)).toBe(1000);
    } finally {
      await server.destroy();
      await cli.destroy();
    }
  });
});
