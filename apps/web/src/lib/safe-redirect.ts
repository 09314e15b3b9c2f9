/**
 * The path to return to after signing in, from `?next=`. Only a path on this origin is accepted:
 * `https://evil.example`, `//evil.example` or `/\evil.example` would turn the sign-in page into an
 * open redirect for phishing (ASVS 5.1.5).
 */
export function safeNextPath(raw: string | null): string | undefined {
  if (raw === null || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw, window.location.origin);
  } catch {
    return undefined;
  }
  if (url.origin !== window.location.origin || url.pathname === '/sign-in') return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}
