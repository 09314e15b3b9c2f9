import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { createRequire } from 'node:module';
import type { AppConfig } from '../config.js';
import type { Database } from './schema.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

export type Db = Kysely<Database>;

/**
 * The PostgreSQL driver is loaded only when configured: a single instance on SQLite starts about a
 * tenth of a second sooner without it. It is CommonJS, so it can be loaded synchronously here.
 */
function loadPg(): typeof import('pg').default {
  const pg = createRequire(import.meta.url)('pg') as typeof import('pg').default;
  // int8 (bigint) columns hold millisecond timestamps, well inside Number's exact range.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  return pg;
}

/**
 * @param options.walCheckpointer moves SQLite's checkpoints to a worker thread (db/wal-checkpointer.ts):
 * for the server, whose event loop answers every request; a short CLI run keeps SQLite's own.
 */
export function createDatabase(
  database: AppConfig['database'],
  options: { walCheckpointer?: boolean } = {},
): Db {
  if (database.kind === 'postgres') {
    const pg = loadPg();
    const pool = new pg.Pool({
      connectionString: database.url,
      max: 10,
      // A request must never hang on a dead database: fail fast and let the pool reconnect.
      connectionTimeoutMillis: 3000,
      query_timeout: 10_000,
      idleTimeoutMillis: 30_000,
      // Set at connection start-up, so every pooled connection sees the same schema.
      ...(database.schema === undefined ? {} : { options: `-c search_path=${database.schema}` }),
    });
    // Without a listener an idle client's error (e.g. the server restarting) crashes the process.
    pool.on('error', () => undefined);
    // pg-pool removes that listener while a client is checked out, which is where Kysely keeps a
    // client for the length of a query: a connection reset mid-query (PostgreSQL restarting, a
    // failover) emitted an unhandled 'error' and crashed the process. The query still rejects on
    // its own and the pool discards the broken client on release, so this listener only needs to
    // exist, for the connection's whole life. Proven by test/faults/postgres-outage.test.ts.
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    const { schema } = database;
    if (schema === undefined)
      return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    // Kysely calls this once, before the first query (the migrations).
    const preparedPool = async () => {
      try {
        await pool.query(`create schema if not exists "${schema}"`);
      } catch (error) {
        // Instances starting together can race on CREATE SCHEMA: "already exists" is success.
        const code = (error as { code?: string }).code;
        if (code !== '23505' && code !== '42P06') throw error;
      }
      return pool;
    };
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparedPool }) });
  }
  if (database.file !== ':memory:') {
    mkdirSync(path.dirname(path.resolve(database.file)), { recursive: true, mode: 0o700 });
    restrictToOwner(database.file);
  }
  const sqlite = new SqliteDatabase(database.file);
  // WAL lets readers proceed during a write; NORMAL sync is durable across process crashes in WAL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const checkpointer =
    options.walCheckpointer === true && database.file !== ':memory:'
      ? startWalCheckpointer(sqlite, database.file)
      : undefined;
  return new Kysely<Database>({
    dialect: new SqliteDialect({
      database: withStatementCache(sqlite, () => {
        checkpointer?.stop();
      }),
    }),
  });
}

/**
 * The database holds password hashes and sessions: owner-only (0600) whatever the umask. SQLite
 * creates the `-wal` and `-shm` files with the main file's permissions, so the main file is
 * created (or narrowed) first; copies left by an earlier run with a looser mode are narrowed too.
 */
function restrictToOwner(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const candidate of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      chmodSync(candidate, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * Kysely prepares every query anew, and preparing costs more than running a simple indexed query.
 * Statements are reusable in better-sqlite3 (one thread, synchronous), so keep them by SQL text.
 * The cap only matters for queries whose text varies (`in (...)` lists); those fall out of it.
 */
function withStatementCache(
  sqlite: SqliteDatabase.Database,
  beforeClose: () => void,
  maxStatements = 500,
) {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      beforeClose();
      sqlite.close();
    },
    prepare(sqlText: string) {
      let statement = statements.get(sqlText);
      if (statement === undefined) {
        statement = sqlite.prepare(sqlText);
        if (statements.size >= maxStatements) statements.clear();
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}
