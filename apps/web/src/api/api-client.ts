import {
  CSRF_HEADER,
  currentSessionResponseSchema,
  sessionResponseSchema,
  type User,
} from '@portcullis/contract/auth';
import type { ZodType } from 'zod';
import { ApiError, isAbortError } from './api-error';
import { getCsrfToken, invalidateCsrfToken } from './csrf-token';
import { emitSessionEvent } from './session-events';
import { stepUp } from './step-up';
import { announceSessionChange, renewSession, sessionEpoch, withRefreshLock } from './session-sync';
import { filenameFromContentDisposition } from './content-disposition';
import { fetchOrThrow, readJson, toApiError } from './http';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method?: Method;
  body?: unknown;
  signal?: AbortSignal;
  /**
   * Sign-in, registration and refresh answer 401 as their result, not because a session expired,
   * so they must not trigger a refresh.
   */
  renewSessionOn401?: boolean;
}

interface Retried {
  csrf: boolean;
  session: boolean;
  stepUp: boolean;
}

const firstTry: Retried = { csrf: false, session: false, stepUp: false };

async function send(path: string, options: RequestOptions, retried: Retried): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  // Every state-changing request proves it came from our page (synchroniser token, OWASP CSRF).
  if (method !== 'GET') headers[CSRF_HEADER] = await getCsrfToken();

  const epochAtSend = sessionEpoch();
  const response = await fetchOrThrow(path, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    signal: options.signal ?? null,
  });
  if (response.ok) return response;

  const error = await toApiError(response);
  if (error.code === 'csrf_failed' && !retried.csrf) {
    invalidateCsrfToken();
    return send(path, options, { ...retried, csrf: true });
  }
  if (error.code === 'unauthenticated' && options.renewSessionOn401 !== false && !retried.session) {
    // Another tab may have renewed already (then the session answers with the user) or the
    // refresh cookie may be gone too (then there is nothing to refresh and the session is over).
    if (await renewSession(epochAtSend, async () => (await resumeSession()) !== null)) {
      return send(path, options, { ...retried, session: true });
    }
    emitSessionEvent({ type: 'session-ended' });
  }
  if (error.code === 'reauthentication_required' && !retried.stepUp && (await stepUp())) {
    // Re-authenticating renewed the session and its CSRF binding; the request goes again as new.
    return send(path, options, { csrf: false, session: false, stepUp: true });
  }
  if (error.code === 'mfa_enrollment_required')
    emitSessionEvent({ type: 'mfa-enrollment-required' });
  if (error.code === 'forbidden') emitSessionEvent({ type: 'forbidden' });
  if (error.code === 'email_not_verified') emitSessionEvent({ type: 'email-not-verified' });
  throw error;
}

/** POST /api/refresh: the user on success, null when the server refused the refresh cookie. */
async function refreshSession(): Promise<User | null> {
  try {
    const response = await send(
      '/api/refresh',
      // An empty JSON object, not an absent body: the server validates every POST body.
      { method: 'POST', body: {}, renewSessionOn401: false },
      { ...firstTry, session: true },
    );
    const { user } = await readJson(response, sessionResponseSchema);
    announceSessionChange('refreshed');
    emitSessionEvent({ type: 'refreshed', user });
    return user;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/**
 * Who is signed in, renewing the session on the way when only the refresh cookie is left. The
 * refresh cookie is HttpOnly, so GET /api/session (which never refuses) says whether there is one:
 * a visitor without it is never sent to POST /api/refresh for a certain 401.
 */
async function resumeSession(signal?: AbortSignal): Promise<User | null> {
  const session = await apiJson('/api/session', currentSessionResponseSchema, {
    renewSessionOn401: false,
    ...(signal === undefined ? {} : { signal }),
  });
  if (session.user !== null) return session.user;
  return session.canRefresh ? refreshSession() : null;
}

/**
 * The user at page load and whenever the UI re-checks. It runs under the cross-tab refresh lock,
 * so a tab starting up never refreshes with a cookie another tab is rotating at that moment.
 */
export function fetchCurrentUser(signal?: AbortSignal): Promise<User | null> {
  return withRefreshLock(() => resumeSession(signal));
}

/** A request whose answer is JSON, checked against the contract's schema. */
export async function apiJson<T>(
  path: string,
  schema: ZodType<T>,
  options: RequestOptions = {},
): Promise<T> {
  const response = await send(path, options, firstTry);
  return readJson(response, schema);
}

/** A request answered with 204 No Content. */
export async function apiNoContent(path: string, options: RequestOptions = {}): Promise<void> {
  await send(path, options, firstTry);
}

/** A 204 whose headers carry the answer (sign-out's `Provider-Logout-Location`). */
export async function apiNoContentHeaders(
  path: string,
  options: RequestOptions = {},
): Promise<Headers> {
  return (await send(path, options, firstTry)).headers;
}

/** A file the server sends as an attachment, with the name it suggested. */
export interface DownloadedFile {
  blob: Blob;
  filename: string;
}

/**
 * A download fetched like any API call (CSRF, session renewal and error codes included) rather
 * than by following a link: an expired access token is renewed instead of saving the 401's JSON
 * as the file, and a refusal is shown on the page by code.
 */
export async function apiDownload(
  path: string,
  fallbackFilename: string,
  options: RequestOptions = {},
): Promise<DownloadedFile> {
  const response = await send(path, options, firstTry);
  try {
    const blob = await response.blob();
    return {
      blob,
      filename: filenameFromContentDisposition(
        response.headers.get('content-disposition'),
        fallbackFilename,
      ),
    };
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new ApiError('network_error', 0, { cause: error });
  }
}

/** Builds a query string from the set values only. */
export function withQuery(
  path: string,
  query: Record<string, string | number | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const search = params.toString();
  return search === '' ? path : `${path}?${search}`;
}
