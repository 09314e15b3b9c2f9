import { AppError } from './app-error.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Opaque keyset cursor over (timestamp, id): stable under inserts, O(log n) per page. */
export function encodeCursor(at: number, id: string): string {
  return Buffer.from(`${at}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { at: number; id: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(decoded);
  if (match === null) {
    throw new AppError('validation_failed', {
      fields: [{ path: 'cursor', message: 'Invalid cursor.' }],
    });
  }
  return { at: Number(match[1]), id: match[2] ?? '' };
}
