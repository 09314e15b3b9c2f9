import { describe, expect, it } from 'vitest';
import { filenameFromContentDisposition } from './content-disposition';

describe('filenameFromContentDisposition (RFC 6266)', () => {
  it('reads a quoted filename', () => {
    expect(
      filenameFromContentDisposition(
        'attachment; filename="portcullis-export-2026-12-01.json"',
        'x',
      ),
    ).toBe('portcullis-export-2026-12-01.json');
  });

  it('reads an unquoted filename', () => {
    expect(filenameFromContentDisposition('attachment; filename=audit.csv', 'x')).toBe('audit.csv');
  });

  it('prefers filename* (RFC 8187) over filename', () => {
    expect(
      filenameFromContentDisposition(
        `attachment; filename="fallback.csv"; filename*=UTF-8''%C3%A9v%C3%A9nements.csv`,
        'x',
      ),
    ).toBe('événements.csv');
  });

  it('falls back to filename when filename* is malformed', () => {
    expect(
      filenameFromContentDisposition(`attachment; filename*=UTF-8''%E0%A4; filename="ok.csv"`, 'x'),
    ).toBe('ok.csv');
  });

  it('uses the fallback without a header or a name', () => {
    expect(filenameFromContentDisposition(null, 'fallback.json')).toBe('fallback.json');
    expect(filenameFromContentDisposition('attachment', 'fallback.json')).toBe('fallback.json');
  });
});
