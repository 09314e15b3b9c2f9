import Bowser from 'bowser';

/**
 * "Chrome on Linux" for a User-Agent header, or undefined when it names no known browser (a
 * script's own string, say); the caller then shows the string itself. Parsing is left to a
 * maintained library: User-Agent strings lie by design (every browser claims to be Mozilla and
 * most claim Safari), and the rules to see through them change with each release.
 */
export function describeUserAgent(userAgent: string): string | undefined {
  // The library throws on an empty string.
  if (userAgent.trim() === '') return undefined;
  const { browser, os } = Bowser.parse(userAgent);
  const browserName = browser.name ?? '';
  if (browserName === '') return undefined;
  const osName = os.name ?? '';
  return osName === '' ? browserName : `${browserName} on ${osName}`;
}
