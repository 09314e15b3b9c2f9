/**
 * The path to return to after signing in, from `?next=`. Only a path on this origin is accepted:
 * `https://evil.example`, `//evil.example` or `/\evil.example` would turn the sign-in page into an
 * open redirect for phishing (ASVS 5.1.5).
 *
 * The decision is the URL parser's, not a list of bad prefixes: a spelling nobody listed
 * (`/.//evil.example`, `/\t/evil.example`, `\/evil.example`) is judged by where it really leads.
 * What comes back is the normalised path, and it must lead to the same place when used again:
 * `/.//evil.example` parses to the path `//evil.example`, which the router would hand to the
 * browser as a protocol-relative URL, so a path that does not survive a second parse is refused.
 */
export function safeNextPath(
  raw: string | null,
  origin: string = window.location.origin,
): string | undefined {
  // Only a path: a scheme (`javascript:`, `https:`) or a host has no business in `next`.
  if (raw === null || !raw.startsWith('/')) return undefined;
  const resolved = parseOnOrigin(raw, origin);
  if (resolved === undefined) return undefined;
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  const again = parseOnOrigin(path, origin);
  if (again === undefined || `${again.pathname}${again.search}${again.hash}` !== path) {
    return undefined;
  }
  // Back to the sign-in page would be a loop.
  if (resolved.pathname === '/sign-in') return undefined;
  return path;
}

/** The URL `value` leads to from a page on `origin`, or undefined if it leaves that origin. */
function parseOnOrigin(value: string, origin: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value, `${origin}/`);
  } catch {
    return undefined;
  }
  return url.origin === origin ? url : undefined;
}
