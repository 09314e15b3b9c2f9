import {
  Migrator,
  PostgresAdapter,
  sql,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import { sealExistingAuditEvents } from '../modules/audit/audit-chain-migration.js';

/**
 * Migrations live in code (not files found at run time) so the compiled server carries them and
 * they run the same on SQLite and PostgreSQL. Kysely's migrator takes a lock table, so several
 * instances starting at once apply each migration exactly once.
 */
const migrations: Record<string, Migration> = {
  '001-initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('email', 'text', (col) => col.notNull().unique())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('role', 'text', (col) => col.notNull())
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('users_created_idx')
        .on('users')
        .columns(['created_at', 'id'])
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'text', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

      await db.schema
        .createTable('refresh_tokens')
        .addColumn('token_hash', 'text', (col) => col.primaryKey())
        .addColumn('session_id', 'text', (col) =>
          col.notNull().references('sessions.id').onDelete('cascade'),
        )
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('rotated_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_session_idx')
        .on('refresh_tokens')
        .column('session_id')
        .execute();

      await db.schema
        .createTable('notes')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('owner_id', 'text', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('title', 'text', (col) => col.notNull())
        .addColumn('body', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('notes_owner_created_idx')
        .on('notes')
        .columns(['owner_id', 'created_at', 'id'])
        .execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('at', 'bigint', (col) => col.notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('outcome', 'text', (col) => col.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_email', 'text')
        .addColumn('target_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema
        .createIndex('audit_events_at_idx')
        .on('audit_events')
        .columns(['at', 'id'])
        .execute();

      await db.schema
        .createTable('counters')
        .addColumn('key', 'text', (col) => col.primaryKey())
        .addColumn('count', 'integer', (col) => col.notNull())
        .addColumn('reset_at', 'bigint', (col) => col.notNull())
        .execute();
    },
  },
  '002-invalidation-log': {
    async up(db: Kysely<unknown>) {
      // Append-only changes made outside a running instance (the operator's CLI); every instance
      // polls it by id. Ids must never be reused after old rows are pruned, or an instance would
      // skip new rows: AUTOINCREMENT on SQLite, a sequence on PostgreSQL.
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      await db.schema
        .createTable('invalidations')
        .addColumn('id', postgres ? 'bigserial' : 'integer', (col) =>
          postgres ? col.primaryKey() : col.primaryKey().autoIncrement(),
        )
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('subject', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .execute();
      // Housekeeping deletes expired counters by this column.
      await db.schema
        .createIndex('counters_reset_at_idx')
        .on('counters')
        .column('reset_at')
        .execute();
    },
  },
  '003-refresh-token-browser-binding': {
    async up(db: Kysely<unknown>) {
      // A rotated token replayed within the grace window gets its successor again, but only in
      // the browser the successor went to; from anywhere else it is reuse (docs/decisions/001).
      await db.schema.alterTable('refresh_tokens').addColumn('csrf_binding_hash', 'text').execute();
      await db.schema.alterTable('refresh_tokens').addColumn('successor_sealed', 'text').execute();
    },
  },
  '004-mail-outbox': {
    async up(db: Kysely<unknown>) {
      // The durable mail queue: a message is a row before it is a send, so a restart or an SMTP
      // outage delays mail and never loses it. `dedupe_key` (a SHA-256) makes one token one message.
      await db.schema
        .createTable('mail_outbox')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('dedupe_key', 'text', (col) => col.notNull().unique())
        .addColumn('recipient', 'text', (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('subject', 'text', (col) => col.notNull())
        .addColumn('text_body', 'text')
        .addColumn('html_body', 'text')
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('sent_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('mail_outbox_due_idx')
        .on('mail_outbox')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('mail_outbox_created_idx')
        .on('mail_outbox')
        .columns(['created_at', 'id'])
        .execute();
    },
  },
  // The identity core (ADR 011): credentials per kind (a user may have no password), one-time
  // secrets, pending sign-ins, how each session was authenticated, and the devices seen per user.
  '005-identity-core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('credentials')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'text', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('secret', 'text', (col) => col.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('credentials_user_kind_idx')
        .on('credentials')
        .columns(['user_id', 'kind'])
        .execute();
      // Every existing password becomes a credential; its id is derived, so the copy is repeatable.
      await sql`insert into credentials (id, user_id, kind, secret, label, created_at, updated_at, last_used_at)
        select 'password-' || id, id, 'password', password_hash, null, created_at, updated_at, null
        from users`.execute(db);
      await db.schema.alterTable('users').dropColumn('password_hash').execute();
      // Accounts that exist already were created by an operator or before verification existed.
      await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
      await sql`update users set email_verified_at = created_at`.execute(db);

      await db.schema
        .createTable('verification_tokens')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('purpose', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('data', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('verification_tokens_user_purpose_idx')
        .on('verification_tokens')
        .columns(['user_id', 'purpose'])
        .execute();

      await db.schema
        .createTable('pending_sign_ins')
        .addColumn('token_hash', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'text', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('amr', 'text', (col) => col.notNull())
        .addColumn('first_factor_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();

      await db.schema.alterTable('sessions').addColumn('amr', 'text').execute();
      await db.schema.alterTable('sessions').addColumn('auth_time', 'bigint').execute();

      await db.schema
        .createTable('known_devices')
        .addColumn('user_id', 'text', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('device_hash', 'text', (col) => col.notNull())
        .addColumn('first_seen_at', 'bigint', (col) => col.notNull())
        .addColumn('last_seen_at', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('known_devices_pk', ['user_id', 'device_hash'])
        .execute();
    },
  },
  // Self-service (ADR 013): sessions that remember the browser or not and know when they were
  // last used, accounts that can be disabled or made to reset their password, and audit events
  // that name their target by email.
  '006-self-service': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('sessions')
        .addColumn('persistent', 'integer', (col) => col.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('sessions').addColumn('last_used_at', 'bigint').execute();
      await db.schema.alterTable('sessions').addColumn('idle_expires_at', 'bigint').execute();
      await db.schema.alterTable('users').addColumn('disabled_at', 'bigint').execute();
      await db.schema
        .alterTable('users')
        .addColumn('must_reset_password', 'integer', (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('users').addColumn('last_sign_in_at', 'bigint').execute();
      await db.schema.alterTable('audit_events').addColumn('target_email', 'text').execute();
      await db.schema
        .createIndex('audit_events_actor_idx')
        .on('audit_events')
        .columns(['actor_id', 'at'])
        .execute();
      await db.schema
        .createIndex('audit_events_target_idx')
        .on('audit_events')
        .columns(['target_id', 'at'])
        .execute();
    },
  },
  // Passwords are hashed in NFKC since this migration (ADR 004). Hashes stored before it were made
  // from the password exactly as typed: they are marked `raw`, verified that way, and rehashed
  // from the NFKC form at the owner's next successful sign-in.
  '007-password-canonical-form': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('credentials')
        .addColumn('secret_form', 'text', (col) => col.notNull().defaultTo('raw'))
        .execute();
    },
  },
  // Second factors and passkeys: what each kind of credential needs beside its secret, the
  // "remember me" of a sign-in waiting for its second step, and single-use WebAuthn challenges.
  '008-second-factors': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('credentials').addColumn('counter', 'bigint').execute();
      await db.schema.alterTable('credentials').addColumn('data', 'text').execute();
      await db.schema.alterTable('credentials').addColumn('external_id', 'text').execute();
      await db.schema.alterTable('credentials').addColumn('confirmed_at', 'bigint').execute();
      await db.schema
        .createIndex('credentials_external_idx')
        .on('credentials')
        .columns(['kind', 'external_id'])
        .execute();
      await db.schema
        .alterTable('pending_sign_ins')
        .addColumn('persistent', 'integer', (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('webauthn_challenges')
        .addColumn('token_hash', 'text', (col) => col.primaryKey())
        .addColumn('challenge', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
        .addColumn('purpose', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();
    },
  },
  // Sign-in with providers (ADR 016): flows in progress, sessions that came from a provider, and
  // one account per provider subject (a partial unique index: other kinds keep their own rules).
  '009-federation': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('federation_flows')
        .addColumn('binding_hash', 'text', (col) => col.primaryKey())
        .addColumn('provider_id', 'text', (col) => col.notNull())
        .addColumn('intent', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
        .addColumn('session_id', 'text')
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('nonce', 'text', (col) => col.notNull())
        .addColumn('code_verifier', 'text', (col) => col.notNull())
        .addColumn('persistent', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('federated_sessions')
        .addColumn('session_id', 'text', (col) =>
          col.primaryKey().references('sessions.id').onDelete('cascade'),
        )
        .addColumn('provider_id', 'text', (col) => col.notNull())
        .addColumn('subject', 'text', (col) => col.notNull())
        .addColumn('provider_sid', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('federated_pending_sign_ins')
        .addColumn('token_hash', 'text', (col) => col.primaryKey())
        .addColumn('provider_id', 'text', (col) => col.notNull())
        .addColumn('subject', 'text', (col) => col.notNull())
        .addColumn('provider_sid', 'text')
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('federated_sessions_subject_idx')
        .on('federated_sessions')
        .columns(['provider_id', 'subject'])
        .execute();
      await db.schema
        .createIndex('federated_sessions_sid_idx')
        .on('federated_sessions')
        .columns(['provider_id', 'provider_sid'])
        .execute();
      await db.schema
        .createIndex('credentials_external_unique')
        .unique()
        .on('credentials')
        .column('external_id')
        .where(sql.ref('kind'), '=', 'external')
        .execute();
    },
  },
  // The tamper-evident audit trail (ADR 017): each event sealed into one hash chain, a one-row
  // head that every append locks (so concurrent writers cannot fork it), and signed checkpoints.
  // Events already stored are sealed here, in (at, id) order: the chain proves nothing about what
  // happened to them before this migration, only that they are not changed after it.
  '010-audit-chain': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('audit_events').addColumn('seq', 'bigint').execute();
      for (const column of ['prev_hash', 'hash', 'actor_seal', 'target_seal', 'detail_seal']) {
        await db.schema.alterTable('audit_events').addColumn(column, 'text').execute();
      }
      await db.schema
        .createTable('audit_chain_head')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .addColumn('seq', 'bigint', (col) => col.notNull())
        .addColumn('hash', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('seq', 'bigint', (col) => col.notNull())
        .addColumn('hash', 'text', (col) => col.notNull())
        .addColumn('at', 'bigint', (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('mac', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('audit_checkpoints_seq_idx')
        .on('audit_checkpoints')
        .column('seq')
        .execute();
      await sealExistingAuditEvents(db);
      // Unique: two appends that both took sequence N would be a fork; the index refuses the second.
      await db.schema
        .createIndex('audit_events_seq_idx')
        .unique()
        .on('audit_events')
        .column('seq')
        .execute();
    },
  },
};

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema; with a schema per test run or per
  // tenant it would find another schema's and skip creating its own, so name the current one.
  let migrationTableSchema: string | undefined;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema;
  }
  const migrator = new Migrator({
    db,
    provider,
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}
