import { z } from 'zod';
import { userSchema } from './auth.js';
import { timestampSchema } from './common.js';
import { PASSWORD_MAX_LENGTH } from './password-policy.js';

/**
 * Second factors and passkeys: TOTP (RFC 6238), single-use recovery codes, and WebAuthn passkeys,
 * which also sign in alone. WebAuthn options and responses travel as the JSON forms the WebAuthn
 * Level 3 spec defines; the server validates them with @simplewebauthn/server, so here they are
 * only bounded objects.
 */

export const secondFactorMethods = ['totp', 'recovery', 'passkey'] as const;
export const secondFactorMethodSchema = z.enum(secondFactorMethods);
export type SecondFactorMethod = z.infer<typeof secondFactorMethodSchema>;

/**
 * POST /api/login: a session at once, or (when the account has a second factor) the factors it
 * may continue with, held by an HttpOnly cookie for five minutes.
 */
export const signInResponseSchema = z.union([
  z.object({ user: userSchema }),
  z.object({
    secondFactor: z.object({
      methods: z.array(secondFactorMethodSchema),
      expiresAt: timestampSchema,
    }),
  }),
]);
export type SignInResponse = z.infer<typeof signInResponseSchema>;

/** Six digits from an authenticator app. */
export const totpCodeSchema = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app.');

/**
 * 24 base32 characters, shown in groups of six; spaces and dashes as the user copied them are
 * ignored. Codes of 10 characters, from earlier versions, are still accepted until replaced.
 */
export const recoveryCodeSchema = z
  .string()
  .max(60)
  .transform((value) => value.replace(/[\s-]/g, '').toLowerCase())
  .pipe(z.string().regex(/^(?:[a-z2-7]{24}|[a-z2-7]{10})$/, 'Enter one of your recovery codes.'));

export const secondFactorBodySchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('totp'), code: totpCodeSchema }),
  z.strictObject({ method: z.literal('recovery'), code: recoveryCodeSchema }),
]);
export type SecondFactorBody = z.infer<typeof secondFactorBodySchema>;

/** A WebAuthn JSON object from the browser (the library checks every field). */
const webAuthnJsonSchema = z.looseObject({
  id: z.string().max(1024),
  type: z.literal('public-key'),
});

export const passkeySignInBodySchema = z.strictObject({
  response: webAuthnJsonSchema,
  remember: z.boolean().optional(),
});
export type PasskeySignInBody = z.infer<typeof passkeySignInBodySchema>;

/** Options for navigator.credentials.get/create, as the WebAuthn JSON forms. */
export const webAuthnOptionsResponseSchema = z.object({
  options: z.record(z.string(), z.unknown()),
});
export type WebAuthnOptionsResponse = z.infer<typeof webAuthnOptionsResponseSchema>;

export const passkeyNameSchema = z
  .string()
  .trim()
  .min(1, 'Name the passkey.')
  .max(60, 'Use at most 60 characters.')
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  .refine((value) => !/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u.test(value), {
    message: 'Remove control characters.',
  });

export const registerPasskeyBodySchema = z.strictObject({
  name: passkeyNameSchema,
  response: webAuthnJsonSchema,
});
export type RegisterPasskeyBody = z.infer<typeof registerPasskeyBodySchema>;

export const renamePasskeyBodySchema = z.strictObject({ name: passkeyNameSchema });
export type RenamePasskeyBody = z.infer<typeof renamePasskeyBodySchema>;

export const passkeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: timestampSchema,
  lastUsedAt: timestampSchema.nullable(),
  /** Synced by a password manager or platform (WebAuthn's backup state). */
  backedUp: z.boolean(),
});
export type PasskeyView = z.infer<typeof passkeyViewSchema>;

/** POST /api/account/passkeys: the new passkey, and recovery codes when it is the first factor. */
export const passkeyRegisteredResponseSchema = z.object({
  passkey: passkeyViewSchema,
  recoveryCodes: z.array(z.string()).nullable(),
});
export type PasskeyRegisteredResponse = z.infer<typeof passkeyRegisteredResponseSchema>;

/** GET /api/account/factors: what protects the account. The TOTP secret never appears here. */
export const factorsResponseSchema = z.object({
  totp: z.object({ enabled: z.boolean(), createdAt: timestampSchema.nullable() }),
  recoveryCodes: z.object({ remaining: z.number().int(), total: z.number().int() }),
  passkeys: z.array(passkeyViewSchema),
  /** The user's role must have a second factor (MFA_REQUIRED_ROLES). */
  required: z.boolean(),
});
export type FactorsResponse = z.infer<typeof factorsResponseSchema>;

/** POST /api/account/totp: the only time the secret leaves the server. */
export const totpEnrolmentResponseSchema = z.object({
  secret: z.string(),
  otpauthUri: z.string(),
  expiresAt: timestampSchema,
});
export type TotpEnrolmentResponse = z.infer<typeof totpEnrolmentResponseSchema>;

export const confirmTotpBodySchema = z.strictObject({ code: totpCodeSchema });
export type ConfirmTotpBody = z.infer<typeof confirmTotpBodySchema>;

/** New recovery codes, shown once (the first factor enrolled creates them, as does regenerating). */
export const recoveryCodesResponseSchema = z.object({
  recoveryCodes: z.array(z.string()).nullable(),
});
export type RecoveryCodesResponse = z.infer<typeof recoveryCodesResponseSchema>;

/**
 * POST /api/session/reauthenticate: proves the user again for a sensitive action (step-up),
 * by password or a code; a passkey uses the /passkey pair of endpoints.
 */
export const reauthenticateBodySchema = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal('password'),
    password: z.string().min(1, 'Enter your password.').max(PASSWORD_MAX_LENGTH),
  }),
  z.strictObject({ method: z.literal('totp'), code: totpCodeSchema }),
]);
export type ReauthenticateBody = z.infer<typeof reauthenticateBodySchema>;

export const passkeyReauthenticateBodySchema = z.strictObject({ response: webAuthnJsonSchema });
export type PasskeyReauthenticateBody = z.infer<typeof passkeyReauthenticateBodySchema>;

/** A sensitive action needs an authentication at most this old (issue: 10 minutes). */
export const RECENT_AUTHENTICATION_MS = 10 * 60_000;
