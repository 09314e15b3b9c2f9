import {
  acceptedResponseSchema,
  type AcceptInviteBody,
  type ChangeEmailBody,
  type ForgotPasswordBody,
  type ResendVerificationBody,
  type ResetPasswordBody,
} from '@portcullis/contract/account';
import { sessionResponseSchema, type User } from '@portcullis/contract/auth';
import { apiJson, apiNoContent } from '../../api/api-client';

/**
 * The link pages are public: a link is opened in whatever browser the mail app picks, signed in
 * or not, so their 401s (none are expected) must not start a refresh.
 */
const publicRequest = { method: 'POST', renewSessionOn401: false } as const;

/** Signed in, the server knows the address (body `{}`); anonymous, the page says which. */
export async function resendVerificationRequest(body: ResendVerificationBody): Promise<void> {
  await apiJson('/api/verify-email/resend', acceptedResponseSchema, { method: 'POST', body });
}

export async function verifyEmailRequest(token: string): Promise<User> {
  const { user } = await apiJson('/api/verify-email', sessionResponseSchema, {
    ...publicRequest,
    body: { token },
  });
  return user;
}

export async function forgotPasswordRequest(body: ForgotPasswordBody): Promise<void> {
  await apiJson('/api/password/forgot', acceptedResponseSchema, { ...publicRequest, body });
}

export function resetPasswordRequest(body: ResetPasswordBody): Promise<void> {
  return apiNoContent('/api/password/reset', { ...publicRequest, body });
}

export async function changeEmailRequest(body: ChangeEmailBody): Promise<void> {
  await apiJson('/api/profile/email', acceptedResponseSchema, { method: 'POST', body });
}

export async function confirmEmailChangeRequest(token: string): Promise<User> {
  const { user } = await apiJson('/api/email-change/confirm', sessionResponseSchema, {
    ...publicRequest,
    body: { token },
  });
  return user;
}

export function undoEmailChangeRequest(token: string): Promise<void> {
  return apiNoContent('/api/email-change/undo', { ...publicRequest, body: { token } });
}

export function notMeRequest(token: string): Promise<void> {
  return apiNoContent('/api/security/not-me', { ...publicRequest, body: { token } });
}

/** Sets the invited account's first password; the server answers `accepted` and signs nobody in. */
export async function acceptInviteRequest(body: AcceptInviteBody): Promise<void> {
  await apiJson('/api/account/accept-invite', acceptedResponseSchema, { ...publicRequest, body });
}
