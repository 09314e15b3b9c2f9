import { describe, expect, it } from 'vitest';
import { safeNextPath } from './safe-redirect';

const origin = 'https://portcullis.example';

/** Where the router would take the browser with this path, as the browser would resolve it. */
function landsOn(path: string): string {
  return new URL(path, `${origin}/`).origin;
}

describe('safeNextPath: ?next= never leads to another origin (ASVS 5.1.5, open redirect)', () => {
  // Each spelling a browser or URL parser turns into another host, or into a scheme.
  const offsite: [spelling: string, why: string][] = [
    ['/.//evil.com', 'the dot segment is removed, leaving the protocol-relative //evil.com'],
    ['//evil.com', 'protocol-relative: another host, same scheme'],
    ['/\\evil.com', 'a backslash counts as a slash in http(s) URLs'],
    ['\\/evil.com', 'backslash then slash: //evil.com again'],
    ['\\\\evil.com', 'two backslashes'],
    ['https://evil.com', 'an absolute URL'],
    ['HTTPS://evil.com/notes', 'an absolute URL, scheme in capitals'],
    ['javascript:alert(1)', 'a script URL'],
    ['/\t/evil.com', 'the parser drops tabs: //evil.com'],
    ['/\n/evil.com', 'the parser drops newlines: //evil.com'],
    ['/\r\n/evil.com', 'the parser drops CR LF: //evil.com'],
    ['/../..//evil.com', 'dot segments climbing above the root, leaving //evil.com'],
    ['/./.././/evil.com', 'more dot segments'],
    ['/%2e/%2e%2e//evil.com', 'percent-encoded dot segments are dot segments too'],
    ['///evil.com', 'three slashes'],
    ['/\\/evil.com', 'slash, backslash, slash'],
    [' //evil.com', 'leading space: not a path'],
    ['evil.com', 'no leading slash: not a path'],
    ['', 'empty'],
  ];

  it.each(offsite)('refuses %j (%s)', (spelling) => {
    expect(safeNextPath(spelling, origin)).toBeUndefined();
  });

  it('refuses a missing next=', () => {
    expect(safeNextPath(null, origin)).toBeUndefined();
  });

  // Paths that stay here, returned in the form the URL parser normalises them to.
  const local: [spelling: string, expected: string][] = [
    ['/notes', '/notes'],
    ['/notes?x=1#y', '/notes?x=1#y'],
    ['/admin', '/admin'],
    ['/notes/./edit/../', '/notes/'],
    ['/notes//deep', '/notes//deep'],
    // Encoded slashes are not separators: this is one odd local path (a not-found page), the
    // browser never reads it as a host.
    ['/%2F%2Fevil.com', '/%2F%2Fevil.com'],
    ['/notes?next=//evil.com', '/notes?next=//evil.com'],
  ];

  it.each(local)('keeps %j as %j', (spelling, expected) => {
    const result = safeNextPath(spelling, origin);
    expect(result).toBe(expected);
    expect(landsOn(expected)).toBe(origin);
  });

  it('refuses the sign-in page itself, which would loop', () => {
    expect(safeNextPath('/sign-in', origin)).toBeUndefined();
    expect(safeNextPath('/sign-in?next=/notes', origin)).toBeUndefined();
    expect(safeNextPath('/./sign-in', origin)).toBeUndefined();
  });

  it('whatever it returns leads to this origin when used again (no spelling escapes)', () => {
    const pieces = ['/', '\\', '.', '..', '%2e', '%2F', '\t', '\n', 'evil.com', '@', ':', '?', '#'];
    let checked = 0;
    for (const a of pieces) {
      for (const b of pieces) {
        for (const c of pieces) {
          const spelling = `/${a}${b}${c}`;
          const result = safeNextPath(spelling, origin);
          if (result === undefined) continue;
          checked += 1;
          expect(landsOn(result), spelling).toBe(origin);
          expect(safeNextPath(result, origin), spelling).toBe(result);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
