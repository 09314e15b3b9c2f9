import type { CookieSerializeOptions } from '@fastify/cookie';

/**
 * Every cookie we set: `__Host-` makes the browser refuse it unless it is Secure, has Path=/ and no
 * Domain, so a sibling subdomain cannot plant or overwrite it (cookie tossing). HttpOnly keeps it
 * from scripts, so an XSS cannot steal a session. SameSite=Lax stops it riding along on
 * cross-site POSTs while keeping top-level links working. See docs/decisions/002.
 */
export const cookieNames = {
  access: '__Host-portcullis-access',
  refresh: '__Host-portcullis-refresh',
  csrf: '__Host-portcullis-csrf',
  /** A random id per browser, kept across sessions, for "new device" sign-in notices. */
  device: '__Host-portcullis-device',
} as const;

export const baseCookieOptions = Object.freeze({
  path: '/',
  httpOnly: true,
  secure: true,
  sameSite: 'lax',
} satisfies CookieSerializeOptions);
