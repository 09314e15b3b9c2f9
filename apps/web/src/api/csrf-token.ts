import { csrfResponseSchema } from '@portcullis/contract/auth';
import { fetchOrThrow, readJson, toApiError } from './http';

let pending: Promise<string> | undefined;

async function fetchCsrfToken(): Promise<string> {
  const response = await fetchOrThrow('/api/csrf', { headers: { accept: 'application/json' } });
  if (!response.ok) throw await toApiError(response);
  const { csrfToken } = await readJson(response, csrfResponseSchema);
  return csrfToken;
}

/**
 * The token is kept in memory only (never Web Storage, where any injected script could read it
 * later) and fetched once for all concurrent requests. It is not tied to a caller's AbortSignal:
 * one page leaving must not cancel the token another page is waiting for.
 */
export function getCsrfToken(): Promise<string> {
  pending ??= fetchCsrfToken().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/** The server rotates the token's binding at sign-in and sign-out, so the old one is useless. */
export function invalidateCsrfToken(): void {
  pending = undefined;
}
