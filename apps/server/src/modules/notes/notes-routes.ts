import type { FastifyInstance } from 'fastify';
import type { FeatureModule } from '../feature-module.js';
import { NotesRepository } from './notes-repository.js';
import { NotesService } from './notes-service.js';
import { z } from 'zod';
import {
  noContentSchema,
  paginationQuerySchema,
  type PaginationQuery,
} from '@portcullis/contract/common';
import {
  createNoteBodySchema,
  noteListResponseSchema,
  noteSchema,
  updateNoteBodySchema,
  type CreateNoteBody,
  type UpdateNoteBody,
} from '@portcullis/contract/notes';
import { requireAuth } from '../../plugins/access-control.js';

/**
 * A malformed id is answered exactly like a missing note (404), so probing ids reveals nothing;
 * that is why params are not validated by the strict uuid schema, which would answer 400. The
 * router already caps a parameter at 128 characters (longer ones are 404 too).
 */
const noteParamsSchema = z.strictObject({ id: z.string() });
type NoteParams = z.infer<typeof noteParamsSchema>;

/** Guests are read-only: they may list and read but not write notes. */
const writers = ['user', 'admin'] as const;

export function registerNotesRoutes(app: FastifyInstance, deps: { notes: NotesService }): void {
  const { notes } = deps;

  app.get<{ Querystring: PaginationQuery }>(
    '/api/notes',
    {
      config: { access: 'authenticated' },
      schema: {
        querystring: paginationQuerySchema,
        response: { 200: noteListResponseSchema },
      },
    },
    async (request) => {
      const page = await notes.list(
        requireAuth(request).userId,
        request.query.limit,
        request.query.cursor,
      );
      return { notes: page.items, nextCursor: page.nextCursor };
    },
  );

  app.post<{ Body: CreateNoteBody }>(
    '/api/notes',
    {
      config: { access: writers },
      schema: { body: createNoteBodySchema, response: { 201: noteSchema } },
    },
    async (request, reply) => {
      const note = await notes.create(requireAuth(request).userId, request.body);
      return reply.code(201).send(note);
    },
  );

  app.get<{ Params: NoteParams }>(
    '/api/notes/:id',
    {
      config: { access: 'authenticated' },
      schema: { params: noteParamsSchema, response: { 200: noteSchema } },
    },
    (request) => notes.get(requireAuth(request).userId, request.params.id),
  );

  app.patch<{ Params: NoteParams; Body: UpdateNoteBody }>(
    '/api/notes/:id',
    {
      config: { access: writers },
      schema: {
        params: noteParamsSchema,
        body: updateNoteBodySchema,
        response: { 200: noteSchema },
      },
    },
    (request) => notes.update(requireAuth(request).userId, request.params.id, request.body),
  );

  app.delete<{ Params: NoteParams }>(
    '/api/notes/:id',
    {
      config: { access: writers },
      schema: { params: noteParamsSchema, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      await notes.delete(requireAuth(request).userId, request.params.id);
      return reply.code(204).send();
    },
  );
}

export const notesModule: FeatureModule = {
  name: 'notes',
  register(app, context) {
    registerNotesRoutes(app, { notes: new NotesService(new NotesRepository(context.db)) });
  },
};
