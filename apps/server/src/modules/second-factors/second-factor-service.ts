import { randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Role } from '@portcullis/contract/roles';
import type {
  FactorsResponse,
  PasskeyView,
  SecondFactorBody,
  SecondFactorMethod,
} from '@portcullis/contract/second-factors';
import { AppError } from '../../lib/app-error.js';
import type { FieldCipher } from '../../lib/field-cipher.js';
import { newBearerSecret, newId, sha256 } from '../../lib/random.js';
import { matchTotp, newTotpKey, totpKeyText, totpUri } from '../../lib/totp.js';
import type { AuditContext, AuditService } from '../audit/audit-service.js';
import type { AuthMethod, SignInRequirement } from '../identity/pending-sign-in.js';
import type { FactorRepository, FactorRow } from './factor-repository.js';

/** Ten single-use codes. */
const RECOVERY_CODE_COUNT = 10;
/**
 * 24 characters of a 32-letter alphabet: 120 random bits. At 112 bits or more a code needs no slow,
 * salted hash (ASVS 5.0 6.5.2): SHA-256 is as safe to store as a random token's (ADR 015).
 */
const RECOVERY_CODE_LENGTH = 24;
const RECOVERY_CODE_GROUP = 6;
/** A QR code shown and not scanned is forgotten after this long. */
const TOTP_ENROLMENT_TTL_MS = 10 * 60_000;
/** A WebAuthn ceremony must finish within this time (and its challenge works once). */
export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * 60_000;
const PRODUCT_NAME = 'Portcullis';

/** What the account module mails about factors. */
export interface FactorNotices {
  recoveryCodeUsed(
    user: { id: string; email: string },
    remaining: number,
    context: AuditContext,
  ): Promise<void>;
  factorsReset(user: { id: string; email: string }): Promise<void>;
}

interface PasskeyData {
  transports: string[];
  backedUp: boolean;
  deviceType: string;
}

/** The methods a second step accepts, in RFC 8176's words: a code is `otp`, a passkey a key. */
// `mfa`: a provider the operator trusts (trustAmr) asserted several factors (ADR 016).
const strongMethods: readonly AuthMethod[] = ['otp', 'hwk', 'swk', 'mfa'];

/**
 * TOTP keys (encrypted at rest), recovery codes (hashed) and passkeys: enrolment, listing and
 * removal for their owner, and verification for the sign-in's second step and for step-up.
 * Sessions are not this service's business: it proves a method, the identity core starts them.
 */
export class SecondFactorService {
  constructor(
    private readonly deps: {
      factors: FactorRepository;
      cipher: FieldCipher;
      audit: AuditService;
      notices: FactorNotices;
      /** Relying party: the id is PUBLIC_ORIGIN's host, the origin PUBLIC_ORIGIN itself. */
      rp: { id: string; origin: string };
      mfaRequiredRoles: readonly Role[];
      /** Cached profile data includes "has a second factor": drop it on every change. */
      forgetUser: (userId: string) => Promise<void>;
    },
  ) {}

  /** The pending sign-in's requirement: a user with a factor owes one unless a key proved it. */
  readonly requirement: SignInRequirement = {
    step: 'second-factor',
    applies: async (userId, methods) =>
      !methods.some((method) => strongMethods.includes(method)) &&
      (await this.deps.factors.hasSecondFactor(userId)),
  };

  isRequiredFor(role: Role): boolean {
    return this.deps.mfaRequiredRoles.includes(role);
  }

  async view(userId: string, role: Role): Promise<FactorsResponse> {
    const { factors } = this.deps;
    const totp = (await factors.list(userId, 'totp')).find((row) => row.confirmed_at !== null);
    const codes = await factors.list(userId, 'recovery');
    const passkeys = await factors.list(userId, 'passkey');
    return {
      totp: {
        enabled: totp !== undefined,
        createdAt: totp === undefined ? null : new Date(totp.created_at).toISOString(),
      },
      recoveryCodes: {
        remaining: codes.filter((row) => row.last_used_at === null).length,
        total: codes.length,
      },
      passkeys: passkeys.map(toPasskeyView),
      required: this.isRequiredFor(role),
    };
  }

  /** The methods a pending sign-in of this user may continue with. */
  async methodsFor(userId: string): Promise<SecondFactorMethod[]> {
    const view = await this.view(userId, 'user');
    const methods: SecondFactorMethod[] = [];
    if (view.totp.enabled) methods.push('totp');
    if (view.passkeys.length > 0) methods.push('passkey');
    if (view.recoveryCodes.remaining > 0) methods.push('recovery');
    return methods;
  }

  // TOTP

  /** A new key, pending until a code from it is entered; the only time it leaves the server. */
  async startTotp(user: {
    id: string;
    email: string;
  }): Promise<{ secret: string; otpauthUri: string; expiresAt: number }> {
    const key = newTotpKey();
    const now = Date.now();
    const id = newId();
    await this.deps.factors.replacePendingTotp(
      factorRow({
        id,
        userId: user.id,
        kind: 'totp',
        secret: this.seal(Buffer.from(key), user.id),
        now,
      }),
    );
    return {
      secret: totpKeyText(key),
      otpauthUri: totpUri(PRODUCT_NAME, user.email, key),
      expiresAt: now + TOTP_ENROLMENT_TTL_MS,
    };
  }

  /** The first code proves the app holds the key; the first factor also brings recovery codes. */
  async confirmTotp(
    user: { id: string; email: string },
    code: string,
    context: AuditContext,
  ): Promise<string[] | null> {
    const { factors, audit } = this.deps;
    const now = Date.now();
    const pending = (await factors.list(user.id, 'totp')).find(
      (row) => row.confirmed_at === null && now - row.created_at <= TOTP_ENROLMENT_TTL_MS,
    );
    if (pending === undefined) throw new AppError('invalid_second_factor');
    const step = matchTotp(this.open(pending).key, code, now, null);
    if (step === undefined || !(await factors.confirmTotp(pending.id, user.id, step, now))) {
      await audit.record(context, {
        type: 'totp_enabled',
        outcome: 'failure',
        actorId: user.id,
        actorEmail: user.email,
        detail: 'wrong code',
      });
      throw new AppError('invalid_second_factor');
    }
    const codes = await this.firstFactorCodes(user.id);
    await audit.record(context, {
      type: 'totp_enabled',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
    });
    await this.deps.forgetUser(user.id);
    return codes;
  }

  async removeTotp(
    user: { id: string; email: string; role: Role },
    context: AuditContext,
  ): Promise<void> {
    const totp = (await this.deps.factors.list(user.id, 'totp')).find(
      (row) => row.confirmed_at !== null,
    );
    if (totp === undefined) throw new AppError('not_found');
    await this.guardLastFactor(user, totp.id);
    await this.deps.factors.remove(user.id, 'totp');
    await this.afterRemoval(user, 'totp_disabled', context);
  }

  /** Housekeeping: WebAuthn challenges never answered (each is deleted when it is used). */
  async deleteExpired(now: number): Promise<void> {
    await this.deps.factors.deleteExpiredChallenges(now);
  }

  // Recovery codes

  async regenerateRecoveryCodes(
    user: { id: string; email: string },
    context: AuditContext,
  ): Promise<string[]> {
    if (!(await this.deps.factors.hasSecondFactor(user.id))) throw new AppError('not_found');
    const codes = await this.replaceRecoveryCodes(user.id);
    await this.deps.audit.record(context, {
      type: 'recovery_codes_generated',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
    });
    return codes;
  }

  private async firstFactorCodes(userId: string): Promise<string[] | null> {
    const existing = await this.deps.factors.list(userId, 'recovery');
    return existing.length > 0 ? null : this.replaceRecoveryCodes(userId);
  }

  private async replaceRecoveryCodes(userId: string): Promise<string[]> {
    const now = Date.now();
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.deps.factors.replaceRecoveryCodes(
      userId,
      codes.map((code) =>
        factorRow({
          id: newId(),
          userId,
          kind: 'recovery',
          secret: sha256(code.replaceAll('-', '')),
          now,
        }),
      ),
    );
    return codes;
  }

  // Verifying a code (second step of a sign-in, or step-up)

  /** Proves a code for `user`; the caller has counted the attempt against the throttle. */
  async verifyCode(
    user: { id: string; email: string },
    body: SecondFactorBody,
    context: AuditContext,
  ): Promise<boolean> {
    const { factors } = this.deps;
    const now = Date.now();
    if (body.method === 'totp') {
      const totp = (await factors.list(user.id, 'totp')).find((row) => row.confirmed_at !== null);
      if (totp === undefined) return false;
      const opened = this.open(totp);
      const step = matchTotp(opened.key, body.code, now, totp.counter);
      if (step === undefined || !(await factors.acceptTotpStep(totp.id, step, now))) return false;
      if (opened.stale)
        await factors.updateSecret(totp.id, this.seal(Buffer.from(opened.key), user.id), now);
      return true;
    }
    const hash = sha256(body.code);
    const codes = await factors.list(user.id, 'recovery');
    const match = codes.find((row) => row.secret === hash && row.last_used_at === null);
    if (match === undefined || !(await factors.spendRecoveryCode(match.id, now))) return false;
    const remaining = codes.filter((row) => row.last_used_at === null).length - 1;
    await this.deps.audit.record(context, {
      type: 'recovery_code_used',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: `${remaining} left`,
    });
    await this.deps.notices.recoveryCodeUsed(user, remaining, context);
    return true;
  }

  // Passkeys

  async registrationOptions(user: {
    id: string;
    email: string;
    name: string;
  }): Promise<{ options: Record<string, unknown>; token: string }> {
    const existing = await this.deps.factors.list(user.id, 'passkey');
    const options = await generateRegistrationOptions({
      rpName: PRODUCT_NAME,
      rpID: this.deps.rp.id,
      userName: user.email,
      userDisplayName: user.name,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({
        id: row.external_id ?? '',
        transports: passkeyData(row).transports,
      })),
      // Discoverable, so the passkey signs in without the email typed first.
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    const token = await this.saveChallenge(options.challenge, user.id, 'register');
    return { options: options as unknown as Record<string, unknown>, token };
  }

  async registerPasskey(
    user: { id: string; email: string },
    input: { name: string; response: unknown; challengeToken: string | undefined },
    context: AuditContext,
  ): Promise<{ passkey: PasskeyView; recoveryCodes: string[] | null }> {
    const challenge = await this.takeChallenge(input.challengeToken, 'register', user.id);
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response: input.response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.deps.rp.origin,
        expectedRPID: this.deps.rp.id,
        requireUserVerification: false,
      });
    } catch {
      throw await this.refusePasskey(user, 'passkey_added', 'verification failed', context);
    }
    if (!verification.verified) {
      throw await this.refusePasskey(user, 'passkey_added', 'not verified', context);
    }
    const info = verification.registrationInfo;
    if ((await this.deps.factors.findPasskey(info.credential.id)) !== undefined) {
      throw await this.refusePasskey(user, 'passkey_added', 'already registered', context);
    }
    const now = Date.now();
    const row = factorRow({
      id: newId(),
      userId: user.id,
      kind: 'passkey',
      secret: Buffer.from(info.credential.publicKey).toString('base64url'),
      now,
    });
    row.label = input.name;
    row.external_id = info.credential.id;
    row.counter = info.credential.counter;
    row.data = JSON.stringify({
      transports: info.credential.transports ?? [],
      backedUp: info.credentialBackedUp,
      deviceType: info.credentialDeviceType,
    } satisfies PasskeyData);
    await this.deps.factors.insert(row);
    const recoveryCodes = await this.firstFactorCodes(user.id);
    await this.deps.audit.record(context, {
      type: 'passkey_added',
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
      detail: input.name,
    });
    await this.deps.forgetUser(user.id);
    return { passkey: toPasskeyView(row), recoveryCodes };
  }

  async renamePasskey(userId: string, id: string, name: string): Promise<void> {
    if (!(await this.deps.factors.rename(userId, id, name, Date.now())))
      throw new AppError('not_found');
  }

  async removePasskey(
    user: { id: string; email: string; role: Role },
    id: string,
    context: AuditContext,
  ): Promise<void> {
    const passkey = (await this.deps.factors.list(user.id, 'passkey')).find((row) => row.id === id);
    if (passkey === undefined) throw new AppError('not_found');
    await this.guardLastFactor(user, passkey.id);
    await this.deps.factors.remove(user.id, 'passkey', id);
    await this.afterRemoval(user, 'passkey_removed', context);
  }

  /**
   * Options for navigator.credentials.get: for a known user (second step, step-up) their passkeys
   * only; for nobody yet (passkey sign-in, conditional UI) any discoverable one.
   */
  async authenticationOptions(
    userId: string | undefined,
    purpose: 'sign-in' | 'reauthenticate',
  ): Promise<{ options: Record<string, unknown>; token: string }> {
    const passkeys = userId === undefined ? [] : await this.deps.factors.list(userId, 'passkey');
    const options = await generateAuthenticationOptions({
      rpID: this.deps.rp.id,
      allowCredentials: passkeys.map((row) => ({
        id: row.external_id ?? '',
        transports: passkeyData(row).transports,
      })),
      userVerification: 'preferred',
    });
    const token = await this.saveChallenge(options.challenge, userId ?? null, purpose);
    return { options: options as unknown as Record<string, unknown>, token };
  }

  /**
   * Verifies an assertion against the challenge the browser holds. Returns the user and the
   * method proven; refuses a credential of another user than the challenge was for, a wrong
   * origin or RP id, and a signature counter that went back (a cloned authenticator).
   */
  async verifyAssertion(
    response: { id: string },
    challengeToken: string | undefined,
    purpose: 'sign-in' | 'reauthenticate',
    context: AuditContext,
  ): Promise<{ userId: string; method: AuthMethod; userVerified: boolean }> {
    const { factors } = this.deps;
    const stored = await this.takeChallengeRow(challengeToken, purpose);
    const passkey = await factors.findPasskey(response.id);
    if (
      stored === undefined ||
      passkey === undefined ||
      (stored.user_id !== null && stored.user_id !== passkey.user_id)
    ) {
      await this.deps.audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: passkey?.user_id ?? null,
        detail:
          stored === undefined ? 'passkey: no or expired challenge' : 'passkey: unknown credential',
      });
      throw new AppError('invalid_second_factor');
    }
    const data = passkeyData(passkey);
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge: stored.challenge,
        expectedOrigin: this.deps.rp.origin,
        expectedRPID: this.deps.rp.id,
        credential: {
          id: passkey.external_id ?? '',
          publicKey: new Uint8Array(Buffer.from(passkey.secret, 'base64url')),
          counter: passkey.counter ?? 0,
          transports: data.transports,
        },
        requireUserVerification: false,
      });
    } catch (error) {
      await this.deps.audit.record(context, {
        type: 'login_failed',
        outcome: 'failure',
        actorId: passkey.user_id,
        detail: `passkey: ${error instanceof Error ? error.message.slice(0, 200) : 'refused'}`,
      });
      throw new AppError('invalid_second_factor');
    }
    const info = verification.authenticationInfo;
    if (!verification.verified) throw new AppError('invalid_second_factor');
    await factors.updatePasskeyUse(passkey.id, {
      counter: info.newCounter,
      data: JSON.stringify({
        ...data,
        backedUp: info.credentialBackedUp,
        deviceType: info.credentialDeviceType,
      }),
      now: Date.now(),
    });
    // RFC 8176: a key held in hardware is `hwk`; a synced (backed-up) passkey lives in software.
    const method: AuthMethod = info.credentialBackedUp ? 'swk' : 'hwk';
    return { userId: passkey.user_id, method, userVerified: info.userVerified };
  }

  // Admin

  /** An admin's reset: every factor goes; the user is told by mail. Audited by the caller. */
  async resetAll(user: { id: string; email: string }): Promise<number> {
    const { factors } = this.deps;
    let removed = 0;
    for (const kind of ['totp', 'recovery', 'passkey'] as const)
      removed += await factors.remove(user.id, kind);
    await this.deps.forgetUser(user.id);
    await this.deps.notices.factorsReset(user);
    return removed;
  }

  // Internals

  /** Where a role requires a second factor, the last one cannot be removed by its owner. */
  private async guardLastFactor(user: { id: string; role: Role }, removing: string): Promise<void> {
    if (!this.isRequiredFor(user.role)) return;
    const totp = (await this.deps.factors.list(user.id, 'totp')).filter(
      (row) => row.confirmed_at !== null,
    );
    const passkeys = await this.deps.factors.list(user.id, 'passkey');
    const left = [...totp, ...passkeys].filter((row) => row.id !== removing);
    if (left.length === 0) throw new AppError('mfa_enrollment_required');
  }

  private async afterRemoval(
    user: { id: string; email: string },
    type: 'totp_disabled' | 'passkey_removed',
    context: AuditContext,
  ): Promise<void> {
    // With no factor left, the recovery codes protect nothing and would be a way around a future one.
    if (!(await this.deps.factors.hasSecondFactor(user.id)))
      await this.deps.factors.remove(user.id, 'recovery');
    await this.deps.audit.record(context, {
      type,
      outcome: 'success',
      actorId: user.id,
      actorEmail: user.email,
    });
    await this.deps.forgetUser(user.id);
  }

  private async refusePasskey(
    user: { id: string; email: string },
    type: 'passkey_added',
    detail: string,
    context: AuditContext,
  ): Promise<AppError> {
    await this.deps.audit.record(context, {
      type,
      outcome: 'failure',
      actorId: user.id,
      actorEmail: user.email,
      detail,
    });
    return new AppError('invalid_second_factor');
  }

  private async saveChallenge(
    challenge: string,
    userId: string | null,
    purpose: 'sign-in' | 'register' | 'reauthenticate',
  ): Promise<string> {
    const token = newBearerSecret();
    await this.deps.factors.saveChallenge({
      token_hash: sha256(token),
      challenge,
      user_id: userId,
      purpose,
      expires_at: Date.now() + WEBAUTHN_CHALLENGE_TTL_MS,
    });
    return token;
  }

  private async takeChallengeRow(
    token: string | undefined,
    purpose: 'sign-in' | 'register' | 'reauthenticate',
  ) {
    if (token === undefined || token.length > 64) return undefined;
    const row = await this.deps.factors.takeChallenge(sha256(token), Date.now());
    return row?.purpose === purpose ? row : undefined;
  }

  private async takeChallenge(
    token: string | undefined,
    purpose: 'register',
    userId: string,
  ): Promise<string> {
    const row = await this.takeChallengeRow(token, purpose);
    if (row?.user_id !== userId) throw new AppError('invalid_second_factor');
    return row.challenge;
  }

  /** The TOTP key under the user's id as additional data: a row copied to another user fails. */
  private seal(key: Buffer, userId: string): string {
    return this.deps.cipher.encrypt(key, `totp:${userId}`);
  }

  private open(row: FactorRow): { key: Uint8Array; stale: boolean } {
    const { plaintext, stale } = this.deps.cipher.decrypt(row.secret, `totp:${row.user_id}`);
    return { key: new Uint8Array(plaintext), stale };
  }
}

/** Base32's lowercase alphabet; 256 is a multiple of 32, so `byte % 32` is uniform. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const text = [...randomBytes(RECOVERY_CODE_LENGTH)].map((byte) => alphabet[byte % 32]).join('');
  const groups: string[] = [];
  for (let start = 0; start < text.length; start += RECOVERY_CODE_GROUP) {
    groups.push(text.slice(start, start + RECOVERY_CODE_GROUP));
  }
  return groups.join('-');
}

function factorRow(input: {
  id: string;
  userId: string;
  kind: 'totp' | 'recovery' | 'passkey';
  secret: string;
  now: number;
}): FactorRow {
  return {
    id: input.id,
    user_id: input.userId,
    kind: input.kind,
    secret: input.secret,
    secret_form: 'raw',
    label: null,
    created_at: input.now,
    updated_at: input.now,
    last_used_at: null,
    counter: null,
    data: null,
    external_id: null,
    confirmed_at: null,
  };
}

function passkeyData(row: FactorRow): PasskeyData {
  try {
    const parsed = JSON.parse(row.data ?? '{}') as Partial<PasskeyData>;
    return {
      transports: Array.isArray(parsed.transports) ? parsed.transports : [],
      backedUp: parsed.backedUp === true,
      deviceType: typeof parsed.deviceType === 'string' ? parsed.deviceType : 'singleDevice',
    };
  } catch {
    return { transports: [], backedUp: false, deviceType: 'singleDevice' };
  }
}

function toPasskeyView(row: FactorRow): PasskeyView {
  return {
    id: row.id,
    name: row.label ?? 'Passkey',
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
    backedUp: passkeyData(row).backedUp,
  };
}
