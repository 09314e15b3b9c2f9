import type { User } from '@portcullis/contract/auth';
import { sessionResponseSchema } from '@portcullis/contract/auth';
import {
  factorsResponseSchema,
  webAuthnOptionsResponseSchema,
  type FactorsResponse,
  type PasskeyReauthenticateBody,
  type ReauthenticateBody,
} from '@portcullis/contract/second-factors';
import { apiJson } from '../../api/api-client';
import { invalidateCsrfToken } from '../../api/csrf-token';
import { emitSessionEvent } from '../../api/session-events';
import { announceSessionChange } from '../../api/session-sync';

export function factorsRequest(signal?: AbortSignal): Promise<FactorsResponse> {
  return apiJson('/api/account/factors', factorsResponseSchema, {
    ...(signal === undefined ? {} : { signal }),
  });
}

/**
 * The server replaced the session (new id, tokens and CSRF binding): the old CSRF token is
 * useless, other tabs must not refresh with the cookie they knew, and the UI takes the user as
 * the server now sees them.
 */
function afterReauthentication(user: User): void {
  invalidateCsrfToken();
  announceSessionChange('refreshed');
  emitSessionEvent({ type: 'refreshed', user });
}

/** A wrong password or code is the answer here, not an expired session: no refresh on 401. */
export async function reauthenticateRequest(body: ReauthenticateBody): Promise<void> {
  const { user } = await apiJson('/api/session/reauthenticate', sessionResponseSchema, {
    method: 'POST',
    body,
    renewSessionOn401: false,
  });
  afterReauthentication(user);
}

export async function reauthenticatePasskeyOptionsRequest(): Promise<Record<string, unknown>> {
  const { options } = await apiJson(
    '/api/session/reauthenticate/passkey/options',
    webAuthnOptionsResponseSchema,
    { method: 'POST', body: {} },
  );
  return options;
}

export async function reauthenticatePasskeyRequest(body: PasskeyReauthenticateBody): Promise<void> {
  const { user } = await apiJson('/api/session/reauthenticate/passkey', sessionResponseSchema, {
    method: 'POST',
    body,
    renewSessionOn401: false,
  });
  afterReauthentication(user);
}
