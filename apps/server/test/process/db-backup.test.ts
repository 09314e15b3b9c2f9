import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Browser,
  directRoute,
  dropSchema,
  findExecutable,
  privateSchemaName,
  reachable,
  registerVerified,
  runCli,
  schemaUrl,
  sharedDatabaseUrl,
  sleep,
  startInstance,
  strongPassword,
  uniqueEmail,
  withSchema,
  type Instance,
} from '../support/live-processes.js';

/**
 * `npm run cli -- db backup FILE` while the compiled server takes writes, then `db restore FILE`
 * with it stopped (ADR 014). The restored database holds every note acknowledged before the
 * backup began and none sent after it ended; notes in flight during the backup may be in either
 * state, each whole. The server then starts on it.
 */

interface Sent {
  title: string;
  sentAt: number;
  ackedAt: number | undefined;
}

/**
 * Three writers post notes back to back; `backup` runs after 1 s of that, and the writers go on
 * 0.5 s after it returns.
 */
async function underLoad<T>(browser: Browser, backup: () => Promise<T>) {
  const sent: Sent[] = [];
  let loading = true;
  const writer = async (id: number) => {
    for (let n = 0; loading && n < 2000; n++) {
      const entry: Sent = { title: `w${id}-${n}`, sentAt: Date.now(), ackedAt: undefined };
      sent.push(entry);
      const reply = await browser.post('/api/notes', { title: entry.title, body: 'b' });
      if (reply.status !== 201) throw new Error(`POST /api/notes: ${reply.status} ${reply.body}`);
      entry.ackedAt = Date.now();
    }
  };
  const writers = [1, 2, 3].map(writer);
  await sleep(1000);
  const backupStartedAt = Date.now();
  const result = await backup();
  const backupEndedAt = Date.now();
  await sleep(500);
  loading = false;
  await Promise.all(writers);
  return { sent, backupStartedAt, backupEndedAt, result };
}

/**
 * Every note acknowledged before the backup began is restored, none sent after it ended is, and
 * nothing else appears; a note in flight during the backup may be either.
 */
function expectSnapshot(
  label: string,
  titles: Set<string>,
  sent: Sent[],
  backupStartedAt: number,
  backupEndedAt: number,
): void {
  const ackedBefore = sent.filter((note) => (note.ackedAt ?? Infinity) < backupStartedAt);
  const sentAfter = sent.filter((note) => note.sentAt > backupEndedAt);
  const inFlight = sent.filter((note) => !ackedBefore.includes(note) && !sentAfter.includes(note));
  expect(ackedBefore.length).toBeGreaterThan(20);
  expect(sentAfter.length).toBeGreaterThan(20);
  expect(ackedBefore.filter((note) => !titles.has(note.title))).toEqual([]);
  expect(sentAfter.filter((note) => titles.has(note.title))).toEqual([]);
  const allowed = new Set([...ackedBefore, ...inFlight].map((note) => note.title));
  expect([...titles].filter((title) => !allowed.has(title))).toEqual([]);
  const kept = inFlight.filter((note) => titles.has(note.title)).length;
  console.info(
    `${label} backup: ${sent.length} notes written, ${ackedBefore.length} acknowledged before it, ` +
      `${inFlight.length} in flight during it (${kept} kept), ${sentAfter.length} after; ` +
      `it took ${backupEndedAt - backupStartedAt} ms (process start included)`,
  );
}

describe('SQLite backup and restore with the operator CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-backup-'));
  const databaseFile = path.join(dir, 'portcullis.sqlite');
  const backupFile = path.join(dir, 'backup.sqlite');
  const env = {
    TRUST_PROXY: '127.0.0.1',
    DATABASE_URL: databaseFile,
    JWT_SECRETS: randomBytes(32).toString('base64url'),
    CSRF_SECRET: randomBytes(32).toString('base64url'),
    RATE_LIMIT_MAX: '1000000',
  };
  const cliEnv = { DATABASE_URL: databaseFile };
  let instance: Instance | undefined;

  beforeAll(async () => {
    instance = await startInstance(env);
  }, 60_000);

  afterAll(async () => {
    await instance?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  function titlesIn(file: string): Set<string> {
    const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('select title from notes').all() as { title: string }[];
      return new Set(rows.map((row) => row.title));
    } finally {
      db.close();
    }
  }

  it('backs up under load; restores exactly what was acknowledged before; the server starts on it', async () => {
    const running = instance as Instance;
    const browser = new Browser('https://localhost', directRoute(running.port, '198.18.0.9'));
    await registerVerified(browser, running.dataDir, {
      email: uniqueEmail('backup'),
      password: strongPassword(),
      name: 'Backup',
    });

    const {
      sent,
      backupStartedAt,
      backupEndedAt,
      result: backup,
    } = await underLoad(browser, () => runCli(['db', 'backup', backupFile], cliEnv));
    expect(backup.code, backup.output).toBe(0);
    expect(backup.output).toMatch(/^backed up \d+ pages, schema \d{3}-/m);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);

    // While the server runs, a restore is refused and changes nothing.
    const whileRunning = await runCli(['db', 'restore', backupFile], cliEnv);
    expect(whileRunning.code).toBe(1);
    expect(whileRunning.output).toContain('is in use: stop every server');

    await running.stop();
    const beforeRestore = titlesIn(databaseFile);
    expect(beforeRestore.size).toBe(sent.length);

    const restored = await runCli(['db', 'restore', backupFile], cliEnv);
    expect(restored.code, restored.output).toBe(0);
    expect(restored.output).toMatch(/previous database kept as .*before-restore-/);

    const titles = titlesIn(databaseFile);
    expectSnapshot('sqlite', titles, sent, backupStartedAt, backupEndedAt);

    const migrated = await runCli(['db', 'migrate'], cliEnv);
    expect(migrated.code, migrated.output).toBe(0);
    instance = await startInstance(env);
    const after = new Browser('https://localhost', directRoute(instance.port, '198.18.0.9'));
    for (const [name, value] of browser.cookies) after.cookies.set(name, value);
    const page = await after.get('/api/notes?limit=100');
    expect(page.status, page.body).toBe(200);
    const listed = (JSON.parse(page.body) as { notes: { title: string }[] }).notes;
    expect(listed.length).toBe(Math.min(100, titles.size));
    for (const note of listed) expect(titles.has(note.title)).toBe(true);
  }, 90_000);

  it('refuses files that are not a sound Portcullis database of a known schema version', async () => {
    const refuse = async (file: string, message: RegExp) => {
      const result = await runCli(['db', 'restore', file], {
        DATABASE_URL: path.join(dir, 'x.sqlite'),
      });
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(message);
    };
    const notSqlite = path.join(dir, 'random.bin');
    writeFileSync(notSqlite, randomBytes(8192));
    await refuse(notSqlite, /not a SQLite database/);

    const foreign = path.join(dir, 'foreign.sqlite');
    const other = new SqliteDatabase(foreign);
    other.exec('create table notes (title text)');
    other.close();
    await refuse(foreign, /not a Portcullis database \(no kysely_migration table\)/);

    const future = path.join(dir, 'future.sqlite');
    copyFileSync(backupFile, future);
    const newer = new SqliteDatabase(future);
    newer
      .prepare('insert into kysely_migration (name, timestamp) values (?, ?)')
      .run('999-from-the-future', new Date().toISOString());
    newer.close();
    await refuse(future, /schema version unknown to this build \(migrations 999-from-the-future\)/);

    // The root pages of two indexes trade places byte for byte: every page is still a valid
    // b-tree page, so the file opens and reads; only the integrity check finds that the indexes
    // no longer match their tables.
    const corrupt = path.join(dir, 'corrupt.sqlite');
    copyFileSync(backupFile, corrupt);
    const damaged = new SqliteDatabase(corrupt, { readonly: true });
    const pageSize = Number(damaged.pragma('page_size', { simple: true }));
    const rootOf = (table: string) =>
      (
        damaged
          .prepare("select rootpage from sqlite_master where type = 'index' and tbl_name = ?")
          .get(table) as { rootpage: number }
      ).rootpage;
    const [first, second] = [rootOf('notes'), rootOf('users')];
    damaged.close();
    const bytes = readFileSync(corrupt);
    const page = (n: number) => Buffer.from(bytes.subarray((n - 1) * pageSize, n * pageSize));
    const [firstPage, secondPage] = [page(first), page(second)];
    secondPage.copy(bytes, (first - 1) * pageSize);
    firstPage.copy(bytes, (second - 1) * pageSize);
    writeFileSync(corrupt, bytes);
    await refuse(corrupt, /corrupt\.sqlite: fails PRAGMA integrity_check: /);
  }, 60_000);
});

const pgDump = findExecutable('pg_dump');
const pgRestore = findExecutable('pg_restore');
const postgresUp = await reachable(sharedDatabaseUrl);
const postgresMissing = [
  ...(pgDump === undefined || pgRestore === undefined ? ['pg_dump/pg_restore not installed'] : []),
  ...(postgresUp ? [] : [`PostgreSQL (${sharedDatabaseUrl}) is not reachable`]),
];
if (postgresMissing.length > 0) {
  console.warn(`PostgreSQL backup: skipped, ${postgresMissing.join('; ')}`);
}

/** Runs a PostgreSQL client tool to completion (bounded: 60 s). */
function runTool(file: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(postgresMissing.length > 0)(
  "PostgreSQL: the README's pg_dump and pg_restore",
  () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-pgdump-'));
    const dumpFile = path.join(dir, 'portcullis.dump');
    const schema = privateSchemaName('pc_backup');
    const env = {
      TRUST_PROXY: '127.0.0.1',
      DATABASE_URL: schemaUrl(schema),
      JWT_SECRETS: randomBytes(32).toString('base64url'),
      CSRF_SECRET: randomBytes(32).toString('base64url'),
      RATE_LIMIT_MAX: '1000000',
    };
    let instance: Instance | undefined;

    afterAll(async () => {
      await instance?.stop();
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    const titlesInSchema = () =>
      withSchema(schema, async (client) => {
        const { rows } = await client.query<{ title: string }>('select title from notes');
        return new Set(rows.map((row) => row.title));
      });

    it('dumps under load; restores exactly what was acknowledged before; the server starts on it', async () => {
      instance = await startInstance(env);
      const browser = new Browser('https://localhost', directRoute(instance.port, '198.18.0.10'));
      await registerVerified(browser, instance.dataDir, {
        email: uniqueEmail('pgdump'),
        password: strongPassword(),
        name: 'Dump',
      });
      // README, "Operating": the same flags, with --schema naming this test's private schema.
      const { sent, backupStartedAt, backupEndedAt, result } = await underLoad(browser, () =>
        runTool(pgDump ?? 'pg_dump', [
          '--format=custom',
          `--schema=${schema}`,
          `--file=${dumpFile}`,
          sharedDatabaseUrl,
        ]),
      );
      expect(result.code, result.output).toBe(0);
      await instance.stop();
      instance = undefined;
      expect((await titlesInSchema()).size).toBe(sent.length);

      const restored = await runTool(pgRestore ?? 'pg_restore', [
        '--clean',
        '--if-exists',
        '--no-owner',
        '--exit-on-error',
        `--dbname=${sharedDatabaseUrl}`,
        dumpFile,
      ]);
      expect(restored.code, restored.output).toBe(0);
      expectSnapshot('postgres', await titlesInSchema(), sent, backupStartedAt, backupEndedAt);

      // The server starts on it (its migrations find nothing to do) and serves the notes.
      instance = await startInstance(env);
      const after = browser.copy(directRoute(instance.port, '198.18.0.10'));
      const page = await after.get('/api/notes?limit=5');
      expect(page.status, page.body).toBe(200);
      expect((JSON.parse(page.body) as { notes: unknown[] }).notes).toHaveLength(5);
    }, 90_000);
  },
);
