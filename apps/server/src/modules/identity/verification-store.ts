import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/database.js';
import { AppError } from '../../lib/app-error.js';
import { newBearerSecret, newId, sha256 } from '../../lib/random.js';

/** What a one-time secret is for; a token issued for one purpose is refused for every other. */
export type VerificationPurpose =
  | 'verify-email'
  | 'reset-password'
  | 'confirm-email-change'
  | 'undo-email-change'
  | 'not-me'
  | 'accept-invite';

export interface IssuedSecret {
  /** Goes to the user (in a link) and nowhere else; only its SHA-256 is stored. */
  token: string;
  expiresAt: number;
}

export interface ConsumedSecret {
  userId: string;
  /** What the issuer attached (the new address of an email change, the old one for its undo). */
  data: string | null;
  createdAt: number;
}

/** After this many wrong guesses against one user's code, the code is void. */
const MAX_CODE_ATTEMPTS = 5;

/**
 * One-time secrets (email links, short codes), ASVS 6.6 / OWASP Forgot Password Cheat Sheet:
 * 256 random bits, stored only as a hash, bound to a purpose and a user, expiring, single use (the
 * use is one conditional UPDATE, so two racing requests cannot both succeed), and every failure is
 * the same `invalid_token`, whether the token was expired, used, for another purpose or never
 * issued.
 */
export class VerificationStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Issues a secret. With `replace` (the default) any earlier unused secret of the same purpose for
   * the same user is voided first: only the newest reset link works.
   */
  async issue(options: {
    purpose: VerificationPurpose;
    userId: string;
    ttlMs: number;
    data?: string;
    replace?: boolean;
    /** A short code instead of a link token, for a channel where a person types it. */
    token?: string;
  }): Promise<IssuedSecret> {
    const now = this.now();
    const token = options.token ?? newBearerSecret();
    const expiresAt = now + options.ttlMs;
    await this.db.transaction().execute(async (trx) => {
      if (options.replace !== false) {
        await trx
          .updateTable('verification_tokens')
          .set({ used_at: now })
          .where('purpose', '=', options.purpose)
          .where('user_id', '=', options.userId)
          .where('used_at', 'is', null)
          .execute();
      }
      await trx
        .insertInto('verification_tokens')
        .values({
          id: newId(),
          purpose: options.purpose,
          user_id: options.userId,
          token_hash: sha256(`${options.purpose}:${token}`),
          data: options.data ?? null,
          created_at: now,
          expires_at: expiresAt,
          used_at: null,
          attempts: 0,
        })
        .execute();
    });
    return { token, expiresAt };
  }

  /**
   * Spends a link token. The purpose is part of the hashed value, so a token presented for another
   * purpose does not even find its row.
   */
  async consume(purpose: VerificationPurpose, token: string): Promise<ConsumedSecret> {
    const now = this.now();
    const row = await this.findLive(purpose, token, now);
    await this.spend(row.id, now);
    return { userId: row.user_id, data: row.data, createdAt: row.created_at };
  }

  /**
   * The user a link token would act for, without spending it: for checks that must pass before the
   * token is used (the new password's policy), so a refused password does not burn the link.
   */
  async peek(purpose: VerificationPurpose, token: string): Promise<string> {
    return (await this.findLive(purpose, token, this.now())).user_id;
  }

  /** Single use: one conditional UPDATE, so of two racing requests only one spends the secret. */
  private async spend(id: string, now: number): Promise<void> {
    const spent = await this.db
      .updateTable('verification_tokens')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) throw invalidToken();
  }

  /** The unspent, unexpired row a link token names, or the generic refusal. */
  private async findLive(purpose: VerificationPurpose, token: string, now: number) {
    const tokenHash = sha256(`${purpose}:${token}`);
    const row = await this.db
      .selectFrom('verification_tokens')
      .select(['id', 'user_id', 'data', 'token_hash', 'created_at'])
      .where('token_hash', '=', tokenHash)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (row === undefined || !sameDigest(row.token_hash, tokenHash)) throw invalidToken();
    return row;
  }

  /**
   * Spends a short code typed by its user. A code has little entropy, so it is looked up by user
   * and purpose, and each wrong guess counts: after MAX_CODE_ATTEMPTS the code is void.
   */
  async consumeCode(
    purpose: VerificationPurpose,
    userId: string,
    code: string,
  ): Promise<ConsumedSecret> {
    const now = this.now();
    const row = await this.db
      .selectFrom('verification_tokens')
      .select(['id', 'data', 'token_hash', 'attempts', 'created_at'])
      .where('purpose', '=', purpose)
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (row === undefined) throw invalidToken();
    // Count the attempt before comparing, atomically, so parallel guesses cannot exceed the cap.
    const counted = await this.db
      .updateTable('verification_tokens')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', row.id)
      .where('used_at', 'is', null)
      .where('attempts', '<', MAX_CODE_ATTEMPTS)
      .executeTakeFirst();
    if (Number(counted.numUpdatedRows) !== 1) throw invalidToken();
    if (!sameDigest(row.token_hash, sha256(`${purpose}:${code}`))) throw invalidToken();
    await this.spend(row.id, now);
    return { userId, data: row.data, createdAt: row.created_at };
  }

  /** Voids every unused secret of these purposes for the user (a password change voids resets). */
  async voidAll(userId: string, purposes: readonly VerificationPurpose[]): Promise<void> {
    if (purposes.length === 0) return;
    await this.db
      .updateTable('verification_tokens')
      .set({ used_at: this.now() })
      .where('user_id', '=', userId)
      .where('purpose', 'in', purposes)
      .where('used_at', 'is', null)
      .execute();
  }

  /** Housekeeping: spent and expired secrets are of no further use. */
  async deleteExpired(now = this.now()): Promise<void> {
    await this.db
      .deleteFrom('verification_tokens')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('used_at', 'is not', null)]))
      .execute();
  }
}

function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function invalidToken(): AppError {
  return new AppError('invalid_token');
}
