import type { DownloadedFile } from '../api/api-client';

/**
 * Hands a fetched file to the browser's download manager through a temporary object URL and an
 * `<a download>`. Nothing is parsed into the page: the link carries a `blob:` URL (not a Trusted
 * Types sink) and no markup is built from the file, so `require-trusted-types-for 'script'` holds.
 */
export function saveFile({ blob, filename }: DownloadedFile): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    // Not revoked at once: the download manager reads the blob after click() returns, and some
    // browsers fail a download whose URL was revoked before they got to it.
    setTimeout(() => {
      URL.revokeObjectURL(url);
    }, 60_000);
  }
}
