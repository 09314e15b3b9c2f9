import { z } from 'zod';

/** Ids are random (UUID v4, 122 random bits), so they cannot be guessed or enumerated. */
export const idSchema = z.uuid();

export const idParamsSchema = z.strictObject({ id: idSchema });

export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

/**
 * Text that any database can store: NUL is refused (PostgreSQL's text type cannot hold it, and no
 * legitimate title or name contains it), so the same input behaves the same on every backend.
 */
export function storableText() {
  return z.string().refine((value) => !value.includes('\u0000'), {
    message: 'Remove the NUL character.',
  });
}

/**
 * C0 controls, DEL and C1 controls (ANSI escapes begin with ESC U+001B or CSI U+009B), and the
 * bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069) that reorder how
 * text is displayed ("Trojan Source"). In a name they forge rows in a terminal listing or an
 * admin table; nobody types them on purpose.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controlOrBidi = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const controlOrBidiExceptLineBreaks =
  // eslint-disable-next-line no-control-regex -- as above, less tab, line feed and carriage return
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** A one-line field (a name, a title): no control characters and no bidi overrides. */
export function singleLineText() {
  return storableText().refine((value) => !controlOrBidi.test(value), {
    message: 'Remove line breaks, tabs and other control characters.',
  });
}

/** A multi-line field (a note's body): line breaks and tabs stay, other controls are refused. */
export function multiLineText() {
  return storableText().refine((value) => !controlOrBidiExceptLineBreaks.test(value), {
    message: 'Remove control characters other than line breaks and tabs.',
  });
}

export const displayNameSchema = singleLineText()
  .trim()
  .min(1, 'Enter a name.')
  .max(100, 'Use at most 100 characters.');

export const paginationQuerySchema = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type PaginationQuery = z.infer<typeof paginationQuerySchema>;

/** Timestamps travel as ISO 8601 strings. */
export const timestampSchema = z.string();

/** A 204 answer: nothing in the body (declared so every route's answers are in the contract). */
export const noContentSchema = z.null().describe('No content');
