import { z } from 'zod';

/** Every message the server sends; each has one template (apps/server/src/modules/mail). */
export const mailKinds = [
  'verify-email',
  'already-registered',
  'password-reset',
  'password-changed',
  'email-change-confirm',
  'email-change-notice',
  'new-device-sign-in',
  'account-locked',
  'invitation',
  'account-deleted',
  'recovery-code-used',
  'factors-reset',
] as const;
export const mailKindSchema = z.enum(mailKinds);
export type MailKind = z.infer<typeof mailKindSchema>;

/**
 * `pending`: waiting for its first or next attempt; `sending`: claimed by an instance now;
 * `sent`: accepted by the mail server; `failed`: refused for good or out of attempts.
 */
export const mailStatuses = ['pending', 'sending', 'sent', 'failed'] as const;
export const mailStatusSchema = z.enum(mailStatuses);
export type MailStatus = z.infer<typeof mailStatusSchema>;

/** `pending` lists what has not gone out yet (pending and sending); `all` the newest of any status. */
export const adminMailQuerySchema = z.strictObject({
  status: z.enum(['failed', 'pending', 'all']).default('all'),
  limit: z.coerce.number().int().min(1).max(200).default(100),
});
export type AdminMailQuery = z.infer<typeof adminMailQuerySchema>;

/** One queued message as an admin sees it: never its bodies, which hold one-time links. */
export const adminMailItemSchema = z.object({
  id: z.string(),
  recipient: z.string(),
  kind: mailKindSchema,
  subject: z.string(),
  status: mailStatusSchema,
  attempts: z.number().int(),
  /** A short reason for the last failure (an SMTP code and text, or a network error code). */
  lastError: z.string().nullable(),
  createdAt: z.string(),
  /** When the next attempt is due (ISO 8601); null once sent or failed. */
  nextAttemptAt: z.string().nullable(),
  sentAt: z.string().nullable(),
});
export type AdminMailItem = z.infer<typeof adminMailItemSchema>;

export const adminMailListResponseSchema = z.object({ messages: z.array(adminMailItemSchema) });
export type AdminMailListResponse = z.infer<typeof adminMailListResponseSchema>;
