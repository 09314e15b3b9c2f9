// Bulk seeding straight into the SQLite file, for volumes the API would take minutes to create
// (100,000 notes cost 100,000 requests; 100,000 sessions would cost 100,000 Argon2 logins). The
// server is stopped while this runs; rows have exactly the shape the repositories write.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from './processes.mjs';

// Resolved from the server workspace, so the bench writes with the same driver the server reads.
const requireFromServer = createRequire(path.join(repoRoot, 'apps/server/package.json'));
const SqliteDatabase = requireFromServer('better-sqlite3');

const NOTE_BODY = 'Seeded by the benchmark. '.repeat(8).trim();

/**
 * Adds `noteCount` notes owned by `ownerId`, `userCount` users (who cannot sign in: their hash is
 * not a password hash) and `sessionCount` live sessions spread over those users, in one
 * transaction. Returns the `{ sessionId, userId }` pairs.
 */
export function seedBulk(dbFile, { ownerId, noteCount, userCount, sessionCount }) {
  const db = new SqliteDatabase(dbFile);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const now = Date.now();
    const insertNote = db.prepare(
      'insert into notes (id, owner_id, title, body, created_at, updated_at) values (?, ?, ?, ?, ?, ?)',
    );
    // No credential rows: these users have no password, so nobody can sign in as them.
    const insertUser = db.prepare(
      'insert into users (id, email, name, role, email_verified_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)',
    );
    // "Remember me" sessions, used just now: live for their whole idle window.
    const insertSession = db.prepare(
      `insert into sessions (id, user_id, created_at, expires_at, revoked_at, ip, user_agent, amr,
         auth_time, persistent, last_used_at, idle_expires_at)
       values (?, ?, ?, ?, null, ?, ?, '["pwd"]', ?, 1, ?, ?)`,
    );
    const sessions = [];
    db.transaction(() => {
      for (let i = 0; i < noteCount; i += 1) {
        // Older than anything the API wrote, one second apart, like a long-lived account.
        const at = now - (i + 1) * 1000;
        insertNote.run(randomUUID(), ownerId, `Seeded note ${i}`, NOTE_BODY, at, at);
      }
      const userIds = [];
      for (let i = 0; i < userCount; i += 1) {
        const id = randomUUID();
        userIds.push(id);
        insertUser.run(
          id,
          `seeded-${i}-${id.slice(0, 8)}@bench.example`,
          `Seeded user ${i}`,
          'user',
          now,
          now,
          now,
        );
      }
      for (let i = 0; i < sessionCount; i += 1) {
        const sessionId = randomUUID();
        const userId = userIds[i % userIds.length];
        insertSession.run(
          sessionId,
          userId,
          now,
          now + 30 * 86_400_000,
          `10.9.${(i >> 8) & 255}.${i & 255}`,
          'portcullis-bench',
          now,
          now,
          now + 7 * 86_400_000,
        );
        sessions.push({ sessionId, userId });
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return sessions;
  } finally {
    db.close();
  }
}

export function countRows(dbFile, table) {
  const db = new SqliteDatabase(dbFile, { readonly: true });
  try {
    return db.prepare(`select count(*) as n from ${table}`).get().n;
  } finally {
    db.close();
  }
}

const base64url = (value) => Buffer.from(value).toString('base64url');

/**
 * Access tokens for seeded sessions, signed with the server's generated secret (it lives in the
 * bench's own temporary data directory). Each is a copy of `sampleToken`, one the server issued at
 * a real sign-in, with its own subject, session and times: the same header byte for byte and the
 * same issuer, audience and lifetime, so each one names a real session row.
 */
export function mintAccessTokens(dataDir, sampleToken, sessions) {
  const { jwtSecret } = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8'));
  const [header, samplePayload] = sampleToken.split('.');
  const sample = JSON.parse(Buffer.from(samplePayload, 'base64url').toString('utf8'));
  const ttlSeconds = sample.exp - sample.iat;
  const iat = Math.floor(Date.now() / 1000);
  return sessions.map(({ sessionId, userId }) => {
    const payload = base64url(
      JSON.stringify({ ...sample, sub: userId, sid: sessionId, iat, exp: iat + ttlSeconds }),
    );
    const signature = createHmac('sha256', jwtSecret)
      .update(`${header}.${payload}`)
      .digest('base64url');
    return `${header}.${payload}.${signature}`;
  });
}

export function writeLines(file, lines) {
  writeFileSync(file, `${lines.join('\n')}\n`);
}
