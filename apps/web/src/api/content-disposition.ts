/** RFC 6266: `filename*` (RFC 8187, UTF-8) wins over the plain `filename` when both are given. */
export function filenameFromContentDisposition(header: string | null, fallback: string): string {
  if (header === null) return fallback;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header)?.[1];
  if (extended !== undefined) {
    try {
      return decodeURIComponent(extended.trim());
    } catch {
      // A malformed escape: the plain name, if any, is still usable.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header)?.[1]?.trim();
  return plain === undefined || plain === '' ? fallback : plain;
}
