import { PROVIDER_LOGOUT_HEADER } from '@portcullis/contract/federation';

/**
 * The provider's end-session URL from a sign-out's answer (RP-initiated logout, ADR 016), or null.
 * Only an absolute http(s) URL is followed: the header is the server's, but the browser is about
 * to navigate to it, and a `javascript:` URL there would run in this origin.
 */
export function providerLogoutLocation(headers: Headers): string | null {
  const value = headers.get(PROVIDER_LOGOUT_HEADER);
  if (value === null || !URL.canParse(value)) return null;
  const { protocol } = new URL(value);
  return protocol === 'https:' || protocol === 'http:' ? value : null;
}
