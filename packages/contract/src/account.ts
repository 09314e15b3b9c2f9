import { z } from 'zod';
import { emailSchema } from './common.js';
import { enteredPasswordSchema, passwordSchema } from './password-policy.js';

/**
 * Account recovery and verification. Every one-time token travels in a link's fragment
 * (`/reset-password#token=…`): a fragment is never sent to a server, so it stays out of access
 * logs, proxies and the Referer header; the page posts it in a body and then drops it from history.
 */

/** Tokens are 32 random bytes in base64url (43 characters); anything else is refused unread. */
export const oneTimeTokenSchema = z
  .string()
  .min(1, 'This link is incomplete.')
  .max(64, 'This link is not valid.')
  .regex(/^[A-Za-z0-9_-]+$/, 'This link is not valid.');

/** The answer to registration, resends and reset requests, whatever the address: no enumeration. */
export const acceptedResponseSchema = z.object({ status: z.literal('accepted') });
export type AcceptedResponse = z.infer<typeof acceptedResponseSchema>;

export const tokenBodySchema = z.strictObject({ token: oneTimeTokenSchema });
export type TokenBody = z.infer<typeof tokenBodySchema>;

/** Anonymous resend (from "check your inbox" after registering); signed in, the body is empty. */
export const resendVerificationBodySchema = z.strictObject({ email: emailSchema.optional() });
export type ResendVerificationBody = z.infer<typeof resendVerificationBodySchema>;

export const forgotPasswordBodySchema = z.strictObject({ email: emailSchema });
export type ForgotPasswordBody = z.infer<typeof forgotPasswordBodySchema>;

export function resetPasswordBodySchema(minPasswordLength?: number) {
  return z.strictObject({
    token: oneTimeTokenSchema,
    newPassword: passwordSchema(minPasswordLength),
  });
}
export type ResetPasswordBody = z.infer<ReturnType<typeof resetPasswordBodySchema>>;

export const changeEmailBodySchema = z.strictObject({
  currentPassword: enteredPasswordSchema('Enter your current password.'),
  newEmail: emailSchema,
});
export type ChangeEmailBody = z.infer<typeof changeEmailBodySchema>;

/** Where each kind of link lands in the web app; the server builds links from these. */
export const accountLinkPaths = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
  confirmEmailChange: '/confirm-email',
  undoEmailChange: '/undo-email-change',
  notMe: '/not-me',
  acceptInvite: '/accept-invite',
} as const;

/** An invited user sets a first password through the mailed link; that also proves the address. */
export function acceptInviteBodySchema(minPasswordLength?: number) {
  return z.strictObject({
    token: oneTimeTokenSchema,
    newPassword: passwordSchema(minPasswordLength),
  });
}
export type AcceptInviteBody = z.infer<ReturnType<typeof acceptInviteBodySchema>>;
