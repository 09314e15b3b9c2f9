import type { FastifyInstance } from 'fastify';
import { updateUserRoleBodySchema, type UpdateUserRoleBody } from '@portcullis/contract/admin';
import {
  idParamsSchema,
  paginationQuerySchema,
  type PaginationQuery,
} from '@portcullis/contract/common';
import { requestContext } from '../../lib/request-context.js';
import { requireAuth } from '../../plugins/access-control.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AdminService } from './admin-service.js';

const adminOnly = ['admin'] as const;

export function registerAdminRoutes(
  app: FastifyInstance,
  deps: { admin: AdminService; audit: AuditService },
): void {
  app.get<{ Querystring: PaginationQuery }>(
    '/api/admin/users',
    { config: { access: adminOnly }, schema: { querystring: paginationQuerySchema } },
    async (request) => {
      const page = await deps.admin.listUsers(request.query.limit, request.query.cursor);
      return { users: page.items, nextCursor: page.nextCursor };
    },
  );

  app.patch<{ Params: { id: string }; Body: UpdateUserRoleBody }>(
    '/api/admin/users/:id',
    {
      config: { access: adminOnly },
      schema: { params: idParamsSchema, body: updateUserRoleBodySchema },
    },
    async (request) => {
      const user = await deps.admin.changeRole(
        requireAuth(request),
        request.params.id,
        request.body.role,
        requestContext(request),
      );
      return { user };
    },
  );

  app.get<{ Querystring: PaginationQuery }>(
    '/api/admin/audit',
    { config: { access: adminOnly }, schema: { querystring: paginationQuerySchema } },
    async (request) => {
      const page = await deps.audit.list(request.query.limit, request.query.cursor);
      return { events: page.items, nextCursor: page.nextCursor };
    },
  );
}
