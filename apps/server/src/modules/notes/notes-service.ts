import type { CreateNoteBody, Note, UpdateNoteBody } from '@portcullis/contract/notes';
import { AppError } from '../../lib/app-error.js';
import { decodeCursor, encodeCursor, type Page } from '../../lib/cursor.js';
import { newId } from '../../lib/random.js';
import type { NoteRow, NotesRepository } from './notes-repository.js';

export class NotesService {
  constructor(private readonly repository: NotesRepository) {}

  async create(ownerId: string, body: CreateNoteBody): Promise<Note> {
    const now = Date.now();
    const row: NoteRow = {
      id: newId(),
      owner_id: ownerId,
      title: body.title,
      body: body.body,
      created_at: now,
      updated_at: now,
    };
    await this.repository.insert(row);
    return toNote(row);
  }

  async get(ownerId: string, id: string): Promise<Note> {
    const row = await this.repository.find(ownerId, id);
    if (row === undefined) throw new AppError('not_found');
    return toNote(row);
  }

  async list(ownerId: string, limit: number, cursor: string | undefined): Promise<Page<Note>> {
    const rows = await this.repository.list(ownerId, limit + 1, decodeCursor(cursor));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toNote),
      nextCursor:
        rows.length > limit && last !== undefined ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  async update(ownerId: string, id: string, body: UpdateNoteBody): Promise<Note> {
    const row = await this.repository.update(ownerId, id, {
      ...(body.title !== undefined ? { title: body.title } : {}),
      ...(body.body !== undefined ? { body: body.body } : {}),
      updated_at: Date.now(),
    });
    if (row === undefined) throw new AppError('not_found');
    return toNote(row);
  }

  async delete(ownerId: string, id: string): Promise<void> {
    if (!(await this.repository.delete(ownerId, id))) throw new AppError('not_found');
  }
}

function toNote(row: Pick<NoteRow, 'id' | 'title' | 'body' | 'created_at' | 'updated_at'>): Note {
  const createdAt = new Date(row.created_at).toISOString();
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    createdAt,
    // Most notes were never edited: one date formatted instead of two, fifty times per page.
    updatedAt:
      row.updated_at === row.created_at ? createdAt : new Date(row.updated_at).toISOString(),
  };
}
