import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrateToLatest } from './migrations.js';

/**
 * Online backup and offline restore of the SQLite database (ADR 014). A backup is SQLite's own
 * backup API (as better-sqlite3 exposes it) copying every page in one step under one read
 * transaction: the copy is the database exactly as of one commit, whatever the running server
 * writes meanwhile (WAL lets the writer go on). A restore refuses anything that is not a sound
 * Portcullis database of a schema version this code knows.
 */

export class BackupRefused extends Error {}

/** Kysely's bookkeeping table: the applied migrations are the database's schema version. */
const MIGRATION_TABLE = 'kysely_migration';

/** What a backup or a restore found: the schema version and how many pages were copied. */
export interface BackupReport {
  migrations: string[];
  pages: number;
}

/**
 * The migrations this build knows, in order, read from a scratch in-memory database migrated
 * from scratch: the same list the server applies, with no second copy to drift.
 */
async function knownMigrations(): Promise<string[]> {
  const scratch = new SqliteDatabase(':memory:');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: scratch }) });
  try {
    await migrateToLatest(db);
    return appliedMigrations(scratch);
  } finally {
    await db.destroy();
  }
}

function appliedMigrations(db: SqliteDatabase.Database): string[] {
  const rows = db.prepare(`select name from ${MIGRATION_TABLE} order by name`).all() as {
    name: string;
  }[];
  return rows.map((row) => row.name);
}

/**
 * Checks a database file: SQLite's full integrity check, then a schema version this build
 * knows (its migrations are a prefix of ours; an older one is migrated when the server starts).
 */
export async function checkPortcullisDatabase(file: string): Promise<string[]> {
  if (!existsSync(file) || !statSync(file).isFile())
    throw new BackupRefused(`${file}: no such file`);
  let db: SqliteDatabase.Database;
  try {
    db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupRefused(`${file}: cannot be opened (${describe(error)})`);
  }
  try {
    let integrity: unknown[];
    try {
      integrity = db.pragma('integrity_check', { simple: false }) as unknown[];
    } catch (error) {
      // "file is not a database", "database disk image is malformed", …
      throw new BackupRefused(`${file}: not a SQLite database (${describe(error)})`);
    }
    const problems = integrity
      .map((row) => Object.values(row as Record<string, unknown>)[0])
      .filter((value) => value !== 'ok');
    if (problems.length > 0) {
      throw new BackupRefused(
        `${file}: fails PRAGMA integrity_check: ${problems.slice(0, 3).map(String).join('; ')}`,
      );
    }
    const hasMigrations = db
      .prepare(`select 1 from sqlite_master where type = 'table' and name = ?`)
      .get(MIGRATION_TABLE);
    if (hasMigrations === undefined) {
      throw new BackupRefused(`${file}: not a Portcullis database (no ${MIGRATION_TABLE} table)`);
    }
    const applied = appliedMigrations(db);
    const known = await knownMigrations();
    const unknown = applied.filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new BackupRefused(
        `${file}: schema version unknown to this build (migrations ${unknown.join(', ')}); restore it with the version that made it`,
      );
    }
    if (applied.length === 0 || applied.some((name, index) => known[index] !== name)) {
      throw new BackupRefused(
        `${file}: not a Portcullis schema version (applied migrations: ${applied.join(', ') || 'none'})`,
      );
    }
    return applied;
  } finally {
    db.close();
  }
}

/**
 * Copies the live database to `destination` (which must not exist yet) while the server runs,
 * then checks the copy. The file holds password hashes and session data: owner-only, like the
 * database itself.
 */
export async function backupSqlite(
  databaseFile: string,
  destination: string,
): Promise<BackupReport> {
  if (existsSync(destination)) throw new BackupRefused(`${destination} exists; choose a new file`);
  if (!existsSync(databaseFile)) throw new BackupRefused(`${databaseFile}: no database to back up`);
  const source = new SqliteDatabase(databaseFile, { readonly: true, fileMustExist: true });
  let pages = 0;
  try {
    // Every page in one step: one read transaction, so the copy is one commit's state and a
    // write from the server cannot restart it. (Steps of 100 pages would restart on each write
    // made through another connection, and under a steady load might never finish.)
    const result = await source.backup(destination, { progress: () => 0x7fffffff });
    pages = result.totalPages;
  } catch (error) {
    rmSync(destination, { force: true });
    throw error;
  } finally {
    source.close();
  }
  chmodSync(destination, 0o600);
  try {
    return { migrations: await checkPortcullisDatabase(destination), pages };
  } catch (error) {
    rmSync(destination, { force: true });
    throw error;
  }
}

/**
 * Puts a checked backup in place of the database, with the server stopped. The current database
 * (if any) is kept beside it as `<file>.before-restore-<time>`, never deleted.
 */
export async function restoreSqlite(
  backupFile: string,
  databaseFile: string,
  now = new Date(),
): Promise<BackupReport & { previous: string | undefined }> {
  const migrations = await checkPortcullisDatabase(backupFile);
  const target = path.resolve(databaseFile);
  const staging = `${target}.restoring-${randomBytes(4).toString('hex')}`;
  let pages = 0;
  const source = new SqliteDatabase(backupFile, { readonly: true, fileMustExist: true });
  try {
    pages = (await source.backup(staging, { progress: () => 0x7fffffff })).totalPages;
  } catch (error) {
    rmSync(staging, { force: true });
    throw error;
  } finally {
    source.close();
  }
  chmodSync(staging, 0o600);

  let previous: string | undefined;
  try {
    if (existsSync(target)) {
      assertNotInUse(target);
      previous = `${target}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
      renameSync(target, previous);
    }
    // A WAL or shared-memory file left from the old database would be replayed onto the new one.
    for (const suffix of ['-wal', '-shm', '-journal'])
      rmSync(`${target}${suffix}`, { force: true });
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { force: true });
    throw error;
  }
  return { migrations, pages, previous };
}

/**
 * A running server keeps the database open in WAL mode, and SQLite leaves WAL mode only for the
 * sole connection: so leaving it, without waiting, fails exactly while another process has the
 * file open. On success the WAL is checkpointed into the file, which then stands alone.
 */
function assertNotInUse(file: string): void {
  const db = new SqliteDatabase(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new BackupRefused(
        `${file} is in use: stop every server using it before restoring (a backup can be taken while it runs)`,
      );
    }
    throw error;
  } finally {
    db.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
