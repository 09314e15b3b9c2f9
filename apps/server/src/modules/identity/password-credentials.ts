import {
  canonicalPassword,
  PASSWORD_ILL_FORMED_MESSAGE,
} from '@portcullis/contract/password-policy';
import { AppError } from '../../lib/app-error.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import type { PasswordContext, PasswordPolicy } from '../../lib/password-policy.js';
import type { CredentialRepository } from './credential-repository.js';

/**
 * The password as one credential kind among others. Verifying always costs one Argon2 verify,
 * whether or not the user exists or has a password, so timing reveals neither (ASVS 6.3.8).
 *
 * Every password is hashed and verified in its canonical form (`canonicalPassword`: NFKC, and
 * ill-formed text refused), so the same characters typed through another keyboard or platform are
 * the same password (NIST SP 800-63B §5.1.1.2). Hashes stored before that (`secret_form: raw`) are
 * verified against the string as typed and, once it matches, replaced by a hash of its NFKC form.
 */
export class PasswordCredentials {
  constructor(
    private readonly deps: {
      credentials: CredentialRepository;
      hasher: PasswordHasher;
      policy: PasswordPolicy;
    },
  ) {}

  async verify(userId: string | undefined, password: string): Promise<boolean> {
    const { credentials, hasher } = this.deps;
    const canonical = canonicalPassword(password);
    const stored =
      userId === undefined || canonical === undefined
        ? undefined
        : await credentials.findOne(userId, 'password');
    if (stored === undefined || canonical === undefined) {
      await hasher.verifyAgainstDummy(canonical ?? password);
      return false;
    }
    // One verify either way: a legacy hash is checked against the string as typed, never both.
    const verdict = await hasher.verify(
      stored.secret,
      stored.secret_form === 'nfkc' ? canonical : password,
    );
    if (!verdict.valid) return false;
    const now = Date.now();
    if (verdict.needsRehash || stored.secret_form !== 'nfkc') {
      await credentials.setSingle(
        stored.user_id,
        'password',
        { secret: await hasher.hash(canonical), form: 'nfkc' },
        now,
      );
    }
    await credentials.markUsed(stored.id, now);
    return true;
  }

  /** Checks the policy (the error names `field`), hashes and stores the new password. */
  async set(
    userId: string,
    password: string,
    context: PasswordContext,
    field: string,
  ): Promise<void> {
    const hash = await this.hashUnderPolicy(password, context, field);
    await this.setHash(userId, hash);
  }

  /** Stores a hash made by `hashUnderPolicy` (registration hashes before the user row exists). */
  async setHash(userId: string, hash: string): Promise<void> {
    await this.deps.credentials.setSingle(
      userId,
      'password',
      { secret: hash, form: 'nfkc' },
      Date.now(),
    );
  }

  /**
   * For a user not yet stored (registration): the policy check and the hash of the canonical
   * form, nothing written. Only `setHash` may store the result: it is marked `nfkc`.
   */
  async hashUnderPolicy(
    password: string,
    context: PasswordContext,
    field: string,
  ): Promise<string> {
    const canonical = canonicalPassword(password);
    if (canonical === undefined) {
      // The routes' schema refuses this first; here for callers that skip it (the CLI, services).
      throw new AppError('validation_failed', {
        fields: [{ path: field, message: PASSWORD_ILL_FORMED_MESSAGE }],
      });
    }
    const verdict = this.deps.policy.check(canonical, context);
    if (!verdict.ok) {
      throw new AppError(verdict.code, { fields: [{ path: field, message: verdict.message }] });
    }
    return this.deps.hasher.hash(canonical);
  }

  /** Costs what a hash costs, for paths that must not be faster when they skip the real one. */
  async spendHashTime(password: string): Promise<void> {
    await this.deps.hasher.verifyAgainstDummy(canonicalPassword(password) ?? password);
  }
}
