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

export const displayNameSchema = storableText()
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
