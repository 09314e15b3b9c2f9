import { z } from 'zod';
import { auditEventTypeSchema } from './admin.js';
import { userSchema } from './auth.js';
import { timestampSchema } from './common.js';
import { noteSchema } from './notes.js';
import { PASSWORD_MAX_LENGTH } from './password-policy.js';

/**
 * The signed-in user's own security page: where the account is signed in, what happened to it,
 * the data held about it, and its deletion. Every list here is the caller's own; another user's
 * session id answers 404, exactly like an id that does not exist.
 */

export const sessionViewSchema = z.object({
  id: z.string(),
  /** "Firefox on macOS", or "Unknown device" when the User-Agent names no known browser. */
  device: z.string(),
  userAgent: z.string().nullable(),
  /** The address the session signed in from; no geolocation is looked up. */
  ip: z.string().nullable(),
  createdAt: timestampSchema,
  /** The sign-in or the latest token refresh, whichever is later (precise to one access token). */
  lastUsedAt: timestampSchema,
  /** When the session ends unless used again (idle limit) or at the latest (absolute limit). */
  expiresAt: timestampSchema,
  current: z.boolean(),
  /** Signed in with "remember me": the refresh cookie outlives the browser. */
  remembered: z.boolean(),
  /** How the user authenticated (OpenID Connect `amr` values: pwd, otp, hwk, swk, fed). */
  methods: z.array(z.string()),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

export const sessionListResponseSchema = z.object({ sessions: z.array(sessionViewSchema) });
export type SessionListResponse = z.infer<typeof sessionListResponseSchema>;

export const revokedSessionsResponseSchema = z.object({ revoked: z.number().int() });
export type RevokedSessionsResponse = z.infer<typeof revokedSessionsResponseSchema>;

export const activityEventSchema = z.object({
  id: z.string(),
  at: timestampSchema,
  type: auditEventTypeSchema,
  outcome: z.enum(['success', 'failure']),
  ip: z.string().nullable(),
  device: z.string().nullable(),
  userAgent: z.string().nullable(),
  detail: z.string().nullable(),
});
export type ActivityEvent = z.infer<typeof activityEventSchema>;

export const activityListResponseSchema = z.object({
  events: z.array(activityEventSchema),
  nextCursor: z.string().nullable(),
});
export type ActivityListResponse = z.infer<typeof activityListResponseSchema>;

/** GET /api/account/export: everything the product holds about the caller, as one JSON file. */
export const accountExportSchema = z.object({
  exportedAt: timestampSchema,
  profile: userSchema,
  notes: z.array(noteSchema),
  sessions: z.array(sessionViewSchema),
  activity: z.array(activityEventSchema),
});
export type AccountExport = z.infer<typeof accountExportSchema>;

/** DELETE /api/account: the password is asked again, so an unattended session cannot do it. */
export const deleteAccountBodySchema = z.strictObject({
  password: z.string().min(1, 'Enter your password.').max(PASSWORD_MAX_LENGTH),
});
export type DeleteAccountBody = z.infer<typeof deleteAccountBodySchema>;
