import type { Db } from '../../db/database.js';
import { AppError } from '../../lib/app-error.js';
import { newBearerSecret, sha256 } from '../../lib/random.js';

/**
 * How a user proved who they are, in the vocabulary of OpenID Connect's `amr` (RFC 8176): `pwd`
 * a password, `otp` a one-time code, `hwk`/`swk` a passkey, `fed` a federated provider, `mfa`
 * several factors asserted by a provider the operator trusts (ADR 016).
 */
export type AuthMethod = 'pwd' | 'otp' | 'hwk' | 'swk' | 'fed' | 'mfa';

/** Recorded on the session: which methods, and when the user last actively authenticated. */
export interface Authentication {
  amr: AuthMethod[];
  /** Milliseconds since the epoch (OIDC's `auth_time`, in the product's time unit). */
  authTime: number;
}

/**
 * A further step a user must pass before a session exists (a second factor). Each kind of
 * credential that can demand one registers a requirement; the password code knows none of them.
 */
export interface SignInRequirement {
  /** The step's name, shown to the client (`totp`, `passkey`, …). */
  readonly step: string;
  /** Whether this user still owes this step, given the methods used so far. */
  applies(userId: string, methods: readonly AuthMethod[]): Promise<boolean>;
}

export type SignInOutcome =
  | { kind: 'complete'; userId: string; authentication: Authentication; persistent: boolean }
  | { kind: 'pending'; token: string; steps: string[]; expiresAt: number };

/** A second factor must follow within this time, or the sign-in starts over (issue: 5 minutes). */
export const PENDING_SIGN_IN_TTL_MS = 5 * 60_000;

/**
 * The state between "the first factor succeeded" and "a session exists". Every way in (password,
 * provider callback, passkey) reports a method here; the session is started only when no
 * requirement is outstanding. A pending sign-in is held by a random token (stored hashed) that the
 * browser keeps in a cookie; it expires after five minutes and is used once.
 */
export class PendingSignIns {
  constructor(
    private readonly db: Db,
    private readonly requirements: readonly SignInRequirement[] = [],
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The first factor succeeded: either the sign-in is complete or the next steps are named.
   * `alsoAsserted`: further methods a trusted provider vouched for in the same step (its `amr`).
   */
  async begin(
    userId: string,
    method: AuthMethod,
    persistent = false,
    alsoAsserted: readonly AuthMethod[] = [],
  ): Promise<SignInOutcome> {
    return this.advance(userId, [method, ...alsoAsserted], this.now(), undefined, persistent);
  }

  /** A further method succeeded for the pending sign-in held by `token`. */
  async continue(token: string, method: AuthMethod): Promise<SignInOutcome> {
    const now = this.now();
    const row = await this.db
      .selectFrom('pending_sign_ins')
      .selectAll()
      .where('token_hash', '=', sha256(token))
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (row === undefined) throw new AppError('unauthenticated');
    const methods = [...(JSON.parse(row.amr) as AuthMethod[]), method];
    return this.advance(
      row.user_id,
      methods,
      row.first_factor_at,
      row.token_hash,
      row.persistent === 1,
    );
  }

  /** The user whose pending sign-in `token` holds, for the step's own verification. */
  async userFor(token: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('pending_sign_ins')
      .select('user_id')
      .where('token_hash', '=', sha256(token))
      .where('expires_at', '>', this.now())
      .executeTakeFirst();
    return row?.user_id;
  }

  private async advance(
    userId: string,
    methods: AuthMethod[],
    firstFactorAt: number,
    previousHash: string | undefined,
    persistent: boolean,
  ): Promise<SignInOutcome> {
    const now = this.now();
    const steps: string[] = [];
    for (const requirement of this.requirements) {
      if (await requirement.applies(userId, methods)) steps.push(requirement.step);
    }
    if (previousHash !== undefined) {
      // Single use: the state that was advanced is gone, whatever comes next. Two requests
      // racing with one token: only the one that deleted the row goes on.
      const deleted = await this.db
        .deleteFrom('pending_sign_ins')
        .where('token_hash', '=', previousHash)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1) throw new AppError('unauthenticated');
    }
    if (steps.length === 0) {
      return {
        kind: 'complete',
        userId,
        authentication: { amr: unique(methods), authTime: now },
        persistent,
      };
    }
    const token = newBearerSecret();
    const expiresAt = now + PENDING_SIGN_IN_TTL_MS;
    await this.db
      .insertInto('pending_sign_ins')
      .values({
        token_hash: sha256(token),
        user_id: userId,
        amr: JSON.stringify(unique(methods)),
        first_factor_at: firstFactorAt,
        expires_at: expiresAt,
        persistent: persistent ? 1 : 0,
      })
      .execute();
    return { kind: 'pending', token, steps, expiresAt };
  }

  async deleteExpired(now = this.now()): Promise<void> {
    await this.db.deleteFrom('pending_sign_ins').where('expires_at', '<=', now).execute();
  }
}

function unique(methods: readonly AuthMethod[]): AuthMethod[] {
  return [...new Set(methods)];
}
