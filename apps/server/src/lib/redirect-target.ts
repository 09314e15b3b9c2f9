/**
 * Where the plain-HTTP listener sends a request: always the configured public origin plus a
 * normalised local path, never a host taken from the request. `new URL(target, origin)` is not
 * enough: it reads `//evil.example/x` and `/\evil.example` as network-path references (another
 * host), and an absolute-form target (`GET http://evil.example/x HTTP/1.1`) as a whole URL.
 */
export function redirectTarget(publicOrigin: string, requestTarget: string | undefined): string {
  let local = requestTarget ?? '/';
  if (!local.startsWith('/')) {
    // Absolute form (RFC 9112 §3.2.2) or `*`: keep only the path and query.
    try {
      const absolute = new URL(local);
      local = `${absolute.pathname}${absolute.search}`;
    } catch {
      local = '/';
    }
  }
  // Parsed under a fixed placeholder host, after dropping every leading slash and backslash, the
  // target can only ever be a path; dot segments and backslashes are then normalised by the parser.
  const parsed = new URL(`http://redirect.invalid/${local.replace(/^[/\\]+/, '')}`);
  const path = parsed.pathname.replace(/^\/+/, '/');
  return `${publicOrigin}${path}${parsed.search}`;
}
