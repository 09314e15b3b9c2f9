import { z } from 'zod';
import { multiLineText, singleLineText } from './common.js';

export const NOTE_TITLE_MAX = 200;
export const NOTE_BODY_MAX = 20_000;

const titleSchema = singleLineText()
  .trim()
  .min(1, 'Enter a title.')
  .max(NOTE_TITLE_MAX, `Use at most ${NOTE_TITLE_MAX} characters.`);
const bodySchema = multiLineText().max(NOTE_BODY_MAX, `Use at most ${NOTE_BODY_MAX} characters.`);

export const createNoteBodySchema = z.strictObject({ title: titleSchema, body: bodySchema });
export type CreateNoteBody = z.infer<typeof createNoteBodySchema>;

export const updateNoteBodySchema = z
  .strictObject({ title: titleSchema.optional(), body: bodySchema.optional() })
  .refine((value) => value.title !== undefined || value.body !== undefined, {
    message: 'Change the title or the body.',
  });
export type UpdateNoteBody = z.infer<typeof updateNoteBodySchema>;

export const noteSchema = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Note = z.infer<typeof noteSchema>;

export const noteListResponseSchema = z.object({
  notes: z.array(noteSchema),
  nextCursor: z.string().nullable(),
});
export type NoteListResponse = z.infer<typeof noteListResponseSchema>;
