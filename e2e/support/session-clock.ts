import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BrowserContext } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Makes a user's sessions look as if they signed in long ago, so a test reaches step-up (ADR 015)
 * without waiting ten minutes. The server under test keeps SQLite in a fresh data directory under
 * the system temp directory (support/test-server.ts); the one holding this user is this server's.
 * Running instances cache session state, so the change is announced through the invalidation
 * log they poll, as the operator's CLI does.
 */
function databaseOf(email: string): string {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith('portcullis-e2e-')) continue;
    const file = path.join(tmpdir(), entry, 'portcullis.sqlite');
    if (!existsSync(file)) continue;
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      if (db.prepare('select 1 from users where email = ?').get(email) !== undefined) return file;
    } finally {
      db.close();
    }
  }
  throw new Error(`no test database holds ${email}`);
}

export function ageAuthentication(email: string, ageMs: number): void {
  const db = new Database(databaseOf(email), { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  try {
    const now = Date.now();
    const sessions = db
      .prepare(
        `select s.id from sessions s join users u on u.id = s.user_id
         where u.email = ? and s.revoked_at is null`,
      )
      .all(email) as { id: string }[];
    if (sessions.length === 0) throw new Error(`${email} has no live session`);
    const update = db.prepare('update sessions set auth_time = ? where id = ?');
    const announce = db.prepare(
      `insert into invalidations (kind, subject, created_at) values ('session', ?, ?)`,
    );
    db.transaction(() => {
      for (const { id } of sessions) {
        update.run(now - ageMs, id);
        announce.run(id, now);
      }
    })();
  } finally {
    db.close();
  }
}

/**
 * Waits until the server answers this browser's sessions as stale. The probe is a sensitive
 * request that cannot change anything (removing a passkey that does not exist): the access check
 * runs first, so a stale session gets `reauthentication_required` and a fresh one a 404. It goes
 * through the context's own request client, which shares the cookies but not the page's console.
 */
export async function waitUntilStepUpRequired(
  context: BrowserContext,
  origin: string,
): Promise<void> {
  await expect
    .poll(
      async () => {
        const csrf = await context.request.get(`${origin}/api/csrf`);
        const { csrfToken } = (await csrf.json()) as { csrfToken: string };
        const probe = await context.request.delete(
          `${origin}/api/account/passkeys/${randomUUID()}`,
          { headers: { 'x-csrf-token': csrfToken, origin } },
        );
        if (probe.status() !== 403) return String(probe.status());
        const body = (await probe.json()) as { error: { code: string } };
        return body.error.code;
      },
      { timeout: 10_000, interval: 200 },
    )
    .toBe('reauthentication_required');
}
