import type { FastifyInstance } from 'fastify';
import {
  adminMailListResponseSchema,
  adminMailQuerySchema,
  type AdminMailQuery,
} from '@portcullis/contract/mail';
import type { MailService } from './mail-service.js';

const adminOnly = ['admin'] as const;

export function registerMailRoutes(app: FastifyInstance, deps: { mail: MailService }): void {
  // Messages that keep failing show here, so an admin learns that mail is not reaching people.
  app.get<{ Querystring: AdminMailQuery }>(
    '/api/admin/mail',
    {
      config: { access: adminOnly },
      schema: {
        querystring: adminMailQuerySchema,
        response: { 200: adminMailListResponseSchema },
      },
    },
    async (request) => ({ messages: await deps.mail.listForAdmin(request.query) }),
  );
}
