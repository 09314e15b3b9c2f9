import type { Role } from '@portcullis/contract/roles';

/**
 * Table types for Kysely. Times are integer milliseconds since the epoch so that SQLite and
 * PostgreSQL store and compare them the same way.
 */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: number;
  /** Absolute lifetime: refreshing never extends a session past this. */
  expires_at: number;
  revoked_at: number | null;
  ip: string | null;
  user_agent: string | null;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token: a database leak does not yield usable refresh tokens. */
  token_hash: string;
  session_id: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
}

export interface NotesTable {
  id: string;
  owner_id: string;
  title: string;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  type: string;
  outcome: 'success' | 'failure';
  actor_id: string | null;
  actor_email: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

export interface CountersTable {
  key: string;
  count: number;
  reset_at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  notes: NotesTable;
  audit_events: AuditEventsTable;
  counters: CountersTable;
}
