import { acceptedResponseSchema } from '@portcullis/contract/account';
import {
  currentSessionResponseSchema,
  type CurrentSessionResponse,
  type LoginBody,
  type RegisterBody,
  type User,
} from '@portcullis/contract/auth';
import type { SecondFactorMethod, SignInResponse } from '@portcullis/contract/second-factors';
import { apiJson, apiNoContentHeaders } from '../../api/api-client';
import { invalidateCsrfToken } from '../../api/csrf-token';
import { announceSessionChange } from '../../api/session-sync';
import { providerLogoutLocation } from '../federation/provider-logout';

/** Where a sign-in stands: done, or waiting for the second step (an HttpOnly cookie holds it). */
export type SignInOutcome =
  | { status: 'signed-in'; user: User }
  | { status: 'second-factor'; methods: readonly SecondFactorMethod[]; expiresAt: string };

/** A session was issued: every way of signing in ends here. */
export function afterSessionIssued(): void {
  // The server gave this browser a new CSRF binding with the session (login CSRF defence).
  invalidateCsrfToken();
  announceSessionChange('signed-in');
}

/**
 * The second-factor schemas, fetched when a sign-in is sent rather than with the first page:
 * the initial bundle has a budget, and a visitor who only reads the home page needs none of them.
 */
export const secondFactorContract = () => import('@portcullis/contract/second-factors');

export function toOutcome(answer: SignInResponse): SignInOutcome {
  if ('user' in answer) {
    afterSessionIssued();
    return { status: 'signed-in', user: answer.user };
  }
  return { status: 'second-factor', ...answer.secondFactor };
}

export async function signInRequest(body: LoginBody): Promise<SignInOutcome> {
  const { signInResponseSchema } = await secondFactorContract();
  return toOutcome(
    await apiJson('/api/login', signInResponseSchema, {
      method: 'POST',
      body,
      renewSessionOn401: false,
    }),
  );
}

/**
 * Whether this user's role requires a second factor they do not have yet. Asked right after a
 * sign-in without a second step, so such a user goes straight to setting one up instead of
 * meeting a refusal on the first page they open.
 */
export async function mustEnrolSecondFactorRequest(): Promise<boolean> {
  const { factorsResponseSchema } = await secondFactorContract();
  const factors = await apiJson('/api/account/factors', factorsResponseSchema);
  return factors.required && !factors.totp.enabled && factors.passkeys.length === 0;
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

/**
 * Ends the session; resolves to the provider's end-session URL when the session came from a
 * provider that offers RP-initiated logout (ADR 016), for the browser to go to next.
 */
export async function signOutRequest(): Promise<string | null> {
  const headers = await apiNoContentHeaders('/api/logout', {
    method: 'POST',
    body: {},
    renewSessionOn401: false,
  });
  invalidateCsrfToken();
  announceSessionChange('signed-out');
  return providerLogoutLocation(headers);
}

/** GET /api/session as it is, without refreshing: whether this browser's session still holds. */
export function currentSessionRequest(): Promise<CurrentSessionResponse> {
  return apiJson('/api/session', currentSessionResponseSchema, { renewSessionOn401: false });
}
