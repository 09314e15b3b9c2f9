import type { Generated } from 'kysely';
import type { MailKind, MailStatus } from '@portcullis/contract/mail';
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
  /** When the owner followed a verification link; null until then. */
  email_verified_at: number | null;
  created_at: number;
  updated_at: number;
  /** Set while an admin has disabled the account: no sign-in, no session. */
  disabled_at: number | null;
  /** 1 when an admin forced a password reset: sign-in is refused until the reset is done. */
  must_reset_password: number;
  last_sign_in_at: number | null;
}

/** The kinds of credential a user may hold; only `password` exists today (ADR 011). */
export type CredentialKind = 'password' | 'totp' | 'recovery' | 'passkey' | 'external';

export type SecretForm = 'raw' | 'nfkc';

export interface CredentialsTable {
  id: string;
  user_id: string;
  kind: CredentialKind;
  /** A password's Argon2id hash; for other kinds, their own (encrypted or public) material. */
  secret: string;
  /**
   * What a password hash was made from: `nfkc`, the canonical form (ADR 004), or `raw`, the
   * string as typed, for hashes stored before migration 007 (upgraded at the next sign-in).
   */
  secret_form: SecretForm;
  label: string | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  /** TOTP: the last step accepted (a code works once); passkey: the signature counter. */
  counter: number | null;
  /** Kind-specific JSON (a passkey's transports and backup flags). */
  data: string | null;
  /** A passkey's credential id, or an external account's subject: how a sign-in finds the row. */
  external_id: string | null;
  /** TOTP: when the first code proved the app holds the key; null while enrolment is pending. */
  confirmed_at: number | null;
}

export interface VerificationTokensTable {
  id: string;
  purpose: string;
  user_id: string;
  /** SHA-256 of purpose and token: the token itself is never stored. */
  token_hash: string;
  data: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  attempts: number;
}

export interface PendingSignInsTable {
  token_hash: string;
  user_id: string;
  /** JSON array of the methods passed so far (RFC 8176 values). */
  amr: string;
  first_factor_at: number;
  expires_at: number;
  /** "Remember me" as ticked at the first step. */
  persistent: number;
}

/** A WebAuthn challenge, single use, bound to the browser that asked by a cookie's hash. */
export interface WebauthnChallengesTable {
  token_hash: string;
  challenge: string;
  /** The user it is for (registration, step-up, second factor); null for a passkey-only sign-in. */
  user_id: string | null;
  purpose: 'sign-in' | 'register' | 'reauthenticate';
  expires_at: number;
}

/**
 * A provider round trip in progress (ADR 016): PKCE verifier, state and nonce, held server-side
 * and found only by the SHA-256 of the random value in the browser's flow cookie. Single use,
 * ten minutes.
 */
export interface FederationFlowsTable {
  binding_hash: string;
  provider_id: string;
  intent: 'sign-in' | 'link';
  /** For `link`: the signed-in user and session that started it. */
  user_id: string | null;
  session_id: string | null;
  state: string;
  nonce: string;
  code_verifier: string;
  persistent: number;
  created_at: number;
  expires_at: number;
}

/** A Portcullis session that came from a provider: for RP-initiated and back-channel logout. */
export interface FederatedSessionsTable {
  session_id: string;
  provider_id: string;
  subject: string;
  /** The provider's session id (`sid` claim), when it sent one. */
  provider_sid: string | null;
  created_at: number;
}

/** A provider sign-in waiting for its Portcullis second factor: which provider session it is. */
export interface FederatedPendingSignInsTable {
  /** SHA-256 of the pending sign-in's token (the same hash `pending_sign_ins` is keyed by). */
  token_hash: string;
  provider_id: string;
  subject: string;
  provider_sid: string | null;
  expires_at: number;
}

export interface KnownDevicesTable {
  user_id: string;
  /** SHA-256 of the long-lived device cookie: a new one means a sign-in from a new device. */
  device_hash: string;
  first_seen_at: number;
  last_seen_at: number;
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
  /** JSON array of authentication methods (OIDC `amr`); null on sessions older than the column. */
  amr: string | null;
  /** When the user last actively authenticated (OIDC `auth_time`), in milliseconds. */
  auth_time: number | null;
  /** 1 with "remember me": the refresh cookie outlives the browser and the idle limit is long. */
  persistent: number;
  /** The sign-in or the latest refresh. */
  last_used_at: number | null;
  /** The idle limit: unused until then, the session is over (null on sessions older than it). */
  idle_expires_at: number | null;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token: a database leak does not yield usable refresh tokens. */
  token_hash: string;
  session_id: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
  /**
   * SHA-256 of the CSRF binding cookie of the browser this token was issued to by rotation (null
   * for the token issued at sign-in, whose response replaces the binding). See docs/decisions/001.
   */
  csrf_binding_hash: string | null;
  /** Once rotated: the successor, encrypted under a key only this token's holder can derive. */
  successor_sealed: string | null;
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
  target_email: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
  /**
   * The hash chain (ADR 017); null only on rows written behind the chain's back (which
   * `audit verify` reports as unsealed). Optional here so such rows can still be inserted.
   */
  seq?: number | null;
  prev_hash?: string | null;
  hash?: string | null;
  /** Per group of personal fields: `<salt>.<digest>`, or `<digest>` once scrubbed. */
  actor_seal?: string | null;
  target_seal?: string | null;
  detail_seal?: string | null;
}

/** One row (id 1): the chain's last sequence and hash, locked by every append (ADR 017). */
export interface AuditChainHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** Signed statements of the chain's head, hourly and at every prune (ADR 017). */
export interface AuditCheckpointsTable {
  id: string;
  seq: number;
  hash: string;
  at: number;
  kind: 'periodic' | 'prune';
  /** HMAC-SHA-256 under AUDIT_CHECKPOINT_KEY (modules/audit/audit-chain.ts). */
  mac: string;
}

export interface CountersTable {
  key: string;
  count: number;
  reset_at: number;
}

/** Cache invalidations written by the operator's CLI, for running instances to apply. */
export interface InvalidationsTable {
  id: Generated<number>;
  kind: 'user' | 'session' | 'all';
  /** The user or session id; null for `all`. */
  subject: string | null;
  created_at: number;
}

/** The durable mail queue (modules/mail). */
export interface MailOutboxTable {
  id: string;
  /** SHA-256 of the caller's key (e.g. the token's purpose and id): one key, one message. */
  dedupe_key: string;
  recipient: string;
  kind: MailKind;
  subject: string;
  /** Null once sent or failed: the bodies hold one-time links. */
  text_body: string | null;
  html_body: string | null;
  status: MailStatus;
  attempts: number;
  /** When pending: the next attempt; when sending: when the claim lapses; otherwise null. */
  next_attempt_at: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  notes: NotesTable;
  audit_events: AuditEventsTable;
  audit_chain_head: AuditChainHeadTable;
  audit_checkpoints: AuditCheckpointsTable;
  counters: CountersTable;
  invalidations: InvalidationsTable;
  mail_outbox: MailOutboxTable;
  credentials: CredentialsTable;
  verification_tokens: VerificationTokensTable;
  pending_sign_ins: PendingSignInsTable;
  known_devices: KnownDevicesTable;
  webauthn_challenges: WebauthnChallengesTable;
  federation_flows: FederationFlowsTable;
  federated_sessions: FederatedSessionsTable;
  federated_pending_sign_ins: FederatedPendingSignInsTable;
}
