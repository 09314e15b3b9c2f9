import { acceptedResponseSchema } from '@portcullis/contract/account';
import {
  currentSessionResponseSchema,
  sessionResponseSchema,
  type CurrentSessionResponse,
  type LoginBody,
  type RegisterBody,
  type User,
} from '@portcullis/contract/auth';
import { apiJson, apiNoContent } from '../../api/api-client';
import { invalidateCsrfToken } from '../../api/csrf-token';
import { announceSessionChange } from '../../api/session-sync';

export async function signInRequest(body: LoginBody): Promise<User> {
  const { user } = await apiJson('/api/login', sessionResponseSchema, {
    method: 'POST',
    body,
    renewSessionOn401: false,
  });
  // The server gave this browser a new CSRF binding with the session (login CSRF defence).
  invalidateCsrfToken();
  announceSessionChange('signed-in');
  return user;
}

/**
 * Registration creates the account and mails a link to confirm the address; it signs nobody in.
 * The answer is the same whether or not the address already had an account (no enumeration).
 */
export async function registerRequest(body: RegisterBody): Promise<void> {
  await apiJson('/api/register', acceptedResponseSchema, {
    method: 'POST',
    body,
    renewSessionOn401: false,
  });
}

export async function signOutRequest(): Promise<void> {
  await apiNoContent('/api/logout', { method: 'POST', body: {}, renewSessionOn401: false });
  invalidateCsrfToken();
  announceSessionChange('signed-out');
}

/** GET /api/session as it is, without refreshing: whether this browser's session still holds. */
export function currentSessionRequest(): Promise<CurrentSessionResponse> {
  return apiJson('/api/session', currentSessionResponseSchema, { renewSessionOn401: false });
}
