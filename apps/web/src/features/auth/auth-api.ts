import {
  sessionResponseSchema,
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

/** Registration creates the account only; the user signs in next. */
export async function registerRequest(body: RegisterBody): Promise<User> {
  const { user } = await apiJson('/api/register', sessionResponseSchema, {
    method: 'POST',
    body,
    renewSessionOn401: false,
  });
  invalidateCsrfToken();
  return user;
}

export async function signOutRequest(): Promise<void> {
  await apiNoContent('/api/logout', { method: 'POST', body: {}, renewSessionOn401: false });
  invalidateCsrfToken();
  announceSessionChange('signed-out');
}
