import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The cookies we set, all HttpOnly (an XSS cannot read a session), Secure, without Domain, and
 * SameSite=Strict: no cross-site request carries them, not even a top-level link; the page such a
 * link opens asks the API itself, same-site, and finds the user signed in. See docs/decisions/002.
 *
 * `__Host-` makes the browser refuse a cookie unless it is Secure, has Path=/ and no Domain, so a
 * sibling subdomain cannot plant or overwrite it (cookie tossing). The refresh token is the
 * exception: it is scoped to the endpoints that read it (a narrow Path, which `__Host-` forbids),
 * so it travels on three requests instead of every one; `__Secure-` still demands Secure, and a
 * planted duplicate is refused (`refreshCookieOf`).
 */
export const cookieNames = {
  access: '__Host-portcullis-access',
  refresh: '__Secure-portcullis-refresh',
  csrf: '__Host-portcullis-csrf',
  /** A random id per browser, kept across sessions, for "new device" sign-in notices. */
  device: '__Host-portcullis-device',
  /** A sign-in waiting for its second factor (five minutes): binds that state to this browser. */
  pending: '__Host-portcullis-pending',
  /** The WebAuthn ceremony this browser started: its challenge works here and only once. */
  webauthn: '__Host-portcullis-webauthn',
  /**
   * A provider round trip this browser started (ADR 016): binds the PKCE verifier, state and
   * nonce held server-side to this browser. SameSite=Lax, not Strict: the provider's redirect back
   * is a cross-site top-level navigation, which Strict cookies do not accompany.
   */
  federation: '__Host-portcullis-federation',
} as const;

/** The refresh cookie's name before it was scoped; cleared wherever the new one is set. */
const legacyRefreshCookieName = '__Host-portcullis-refresh';

export const baseCookieOptions = Object.freeze({
  path: '/',
  httpOnly: true,
  secure: true,
  sameSite: 'strict',
} satisfies CookieSerializeOptions);

/** The flow cookie's flags: as every cookie's, except Lax (see `cookieNames.federation`). */
export const federationCookieOptions = Object.freeze({
  ...baseCookieOptions,
  sameSite: 'lax',
} satisfies CookieSerializeOptions);

/**
 * Where the refresh token is sent: POST /api/refresh spends it, POST /api/logout ends its session
 * when the access token has expired, GET /api/session says whether one is there (`canRefresh`).
 * Paths match by segment, so `/api/session` does not cover `/api/sessions`. One cookie per path,
 * same name and value: the browser sends each only to its own endpoint.
 */
export const refreshCookiePaths = Object.freeze(['/api/session', '/api/refresh', '/api/logout']);

/** Sets the refresh cookie at each of its paths; `options` as for any cookie (its path is ours). */
export function setRefreshCookie(
  reply: FastifyReply,
  token: string,
  options: CookieSerializeOptions,
): void {
  for (const path of refreshCookiePaths) {
    reply.setCookie(cookieNames.refresh, token, { ...options, path });
  }
  // Browsers still holding the Path=/ cookie from before lose it at their next sign-in or refresh.
  reply.clearCookie(legacyRefreshCookieName, baseCookieOptions);
}

export function clearRefreshCookie(reply: FastifyReply): void {
  for (const path of refreshCookiePaths) {
    reply.clearCookie(cookieNames.refresh, { ...baseCookieOptions, path });
  }
  reply.clearCookie(legacyRefreshCookieName, baseCookieOptions);
}

/**
 * The refresh token the request carries, or undefined. Without `__Host-`, a sibling subdomain
 * could add a cookie of the same name (Domain=the parent): the browser would then send two, and
 * the server cannot tell which is ours, so it takes neither. A browser that still has the Path=/
 * cookie from before the scoping (it reaches these endpoints too) keeps its session.
 */
export function refreshCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie ?? '';
  let count = 0;
  for (const pair of header.split(';')) {
    if (pair.trimStart().startsWith(`${cookieNames.refresh}=`)) count += 1;
  }
  if (count > 1) return undefined;
  return request.cookies[cookieNames.refresh] ?? request.cookies[legacyRefreshCookieName];
}

/**
 * Sent with the logout answer: the browser drops this origin's HTTP cache (pages and API answers
 * a later user of the machine could open) and its storage (localStorage, IndexedDB, service
 * workers). Cookies are cleared one by one instead, so the CSRF binding and the device id stay.
 */
export const CLEAR_SITE_DATA_ON_LOGOUT = '"cache", "storage"';
