import {
  noteListResponseSchema,
  noteSchema,
  type CreateNoteBody,
  type Note,
  type UpdateNoteBody,
} from '@portcullis/contract/notes';
import { apiJson, apiNoContent, withQuery } from '../../api/api-client';
import type { CursorPage } from '../../lib/use-cursor-list';

const PAGE_SIZE = 20;

const notePath = (id: string) => `/api/notes/${encodeURIComponent(id)}`;

export async function listNotesPage(
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<CursorPage<Note>> {
  const { notes, nextCursor } = await apiJson(
    withQuery('/api/notes', { cursor, limit: PAGE_SIZE }),
    noteListResponseSchema,
    { signal },
  );
  return { items: notes, nextCursor };
}

export function createNoteRequest(body: CreateNoteBody): Promise<Note> {
  return apiJson('/api/notes', noteSchema, { method: 'POST', body });
}

export function updateNoteRequest(id: string, body: UpdateNoteBody): Promise<Note> {
  return apiJson(notePath(id), noteSchema, { method: 'PATCH', body });
}

export function deleteNoteRequest(id: string): Promise<void> {
  return apiNoContent(notePath(id), { method: 'DELETE' });
}
