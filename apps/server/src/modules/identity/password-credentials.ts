import { AppError } from '../../lib/app-error.js';
import type { PasswordHasher } from '../../lib/password-hasher.js';
import type { PasswordContext, PasswordPolicy } from '../../lib/password-policy.js';
import type { CredentialRepository } from './credential-repository.js';

/**
 * The password as one credential kind among others. Verifying always costs one Argon2 verify,
 * whether or not the user exists or has a password, so timing reveals neither (ASVS 6.3.8).
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
    const stored = userId === undefined ? undefined : await credentials.findOne(userId, 'password');
    if (stored === undefined) {
      await hasher.verifyAgainstDummy(password);
      return false;
    }
    const verdict = await hasher.verify(stored.secret, password);
    if (!verdict.valid) return false;
    const now = Date.now();
    if (verdict.needsRehash) {
      await credentials.setSingle(stored.user_id, 'password', await hasher.hash(password), now);
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
    await this.deps.credentials.setSingle(userId, 'password', hash, Date.now());
  }

  /** Stores a hash made by `hashUnderPolicy` (registration hashes before the user row exists). */
  async setHash(userId: string, hash: string): Promise<void> {
    await this.deps.credentials.setSingle(userId, 'password', hash, Date.now());
  }

  /** For a user not yet stored (registration): the policy check and the hash, nothing written. */
  async hashUnderPolicy(
    password: string,
    context: PasswordContext,
    field: string,
  ): Promise<string> {
    const verdict = this.deps.policy.check(password, context);
    if (!verdict.ok) {
      throw new AppError(verdict.code, { fields: [{ path: field, message: verdict.message }] });
    }
    return this.deps.hasher.hash(password);
  }

  /** Costs what a hash costs, for paths that must not be faster when they skip the real one. */
  async spendHashTime(password: string): Promise<void> {
    await this.deps.hasher.verifyAgainstDummy(password);
  }
}
