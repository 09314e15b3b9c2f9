import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FeatureModule } from '../feature-module.js';
import {
  AUDIT_EXPORT_MAX_ROWS,
  adminUserListResponseSchema,
  adminUserResponseSchema,
  auditExportQuerySchema,
  auditListResponseSchema,
  auditQuerySchema,
  createUserBodySchema,
  updateUserRoleBodySchema,
  userListQuerySchema,
  type AdminUserAction,
  type AuditEvent,
  type AuditExportQuery,
  type AuditQuery,
  type CreateUserBody,
  type UpdateUserRoleBody,
  type UserListQuery,
} from '@portcullis/contract/admin';
import { sessionResponseSchema } from '@portcullis/contract/auth';
import { idParamsSchema, noContentSchema } from '@portcullis/contract/common';
import { revokedSessionsResponseSchema } from '@portcullis/contract/security';
import type { AuditContext } from '../audit/audit-service.js';
import { auditFilterOf, type AuditService } from '../audit/audit-service.js';
import { requestContext } from '../../lib/request-context.js';
import { requireAuth } from '../../plugins/access-control.js';
import type { AdminActor, AdminService } from './admin-service.js';

const adminOnly = ['admin'] as const;

/** Granting a role, disabling, deleting or resetting someone: a recent authentication first. */
const sensitive = { access: adminOnly, recentAuthentication: true } as const;

/** The per-user actions carry nothing; a body, if sent, must be `{}`. */
const emptyBody = z.strictObject({}).nullish();

export function registerAdminRoutes(
  app: FastifyInstance,
  deps: { admin: AdminService; audit: AuditService; passwordMinLength: number },
): void {
  const { admin, audit } = deps;

  app.get<{ Querystring: UserListQuery }>(
    '/api/admin/users',
    {
      config: { access: adminOnly },
      schema: {
        querystring: userListQuerySchema,
        response: { 200: adminUserListResponseSchema },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const page = await admin.listUsers(limit, cursor, filter);
      await admin.recordRead(
        requireAuth(request),
        'users',
        filter,
        page.items.length,
        requestContext(request),
      );
      return { users: page.items, nextCursor: page.nextCursor };
    },
  );

  app.post<{ Body: CreateUserBody }>(
    '/api/admin/users',
    {
      config: sensitive,
      schema: {
        body: createUserBodySchema(deps.passwordMinLength),
        response: { 201: adminUserResponseSchema },
      },
    },
    async (request, reply) => {
      const user = await admin.createUser(
        requireAuth(request),
        request.body,
        requestContext(request),
      );
      return reply.code(201).send({ user });
    },
  );

  app.patch<{ Params: { id: string }; Body: UpdateUserRoleBody }>(
    '/api/admin/users/:id',
    {
      config: sensitive,
      schema: {
        params: idParamsSchema,
        body: updateUserRoleBodySchema,
        response: { 200: sessionResponseSchema },
      },
    },
    async (request) => {
      const user = await admin.changeRole(
        requireAuth(request),
        request.params.id,
        request.body.role,
        requestContext(request),
      );
      return { user };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/admin/users/:id',
    {
      config: sensitive,
      schema: { params: idParamsSchema, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      await admin.deleteUser(requireAuth(request), request.params.id, requestContext(request));
      return reply.code(204).send();
    },
  );

  // Unsafe methods all, so the CSRF check applies like on every other change.
  const actions: Record<
    Exclude<AdminUserAction, 'sign-out'>,
    (actor: AdminActor, userId: string, context: AuditContext) => Promise<void>
  > = {
    disable: (...args) => admin.disable(...args),
    enable: (...args) => admin.enable(...args),
    unlock: (...args) => admin.unlock(...args),
    'force-password-reset': (...args) => admin.forcePasswordReset(...args),
    'resend-verification': (...args) => admin.resendVerification(...args),
    'reset-factors': (...args) => admin.resetFactors(...args),
  };
  const sensitiveActions = new Set(['disable', 'force-password-reset', 'reset-factors']);
  for (const [action, run] of Object.entries(actions)) {
    app.post<{ Params: { id: string } }>(
      `/api/admin/users/:id/${action}`,
      {
        config: sensitiveActions.has(action) ? sensitive : { access: adminOnly },
        schema: { params: idParamsSchema, body: emptyBody, response: { 204: noContentSchema } },
      },
      async (request, reply) => {
        await run(requireAuth(request), request.params.id, requestContext(request));
        return reply.code(204).send();
      },
    );
  }

  app.post<{ Params: { id: string } }>(
    '/api/admin/users/:id/sign-out',
    {
      config: { access: adminOnly },
      schema: {
        params: idParamsSchema,
        body: emptyBody,
        response: { 200: revokedSessionsResponseSchema },
      },
    },
    async (request) => ({
      revoked: await admin.signOutEverywhere(
        requireAuth(request),
        request.params.id,
        requestContext(request),
      ),
    }),
  );

  app.get<{ Querystring: AuditQuery }>(
    '/api/admin/audit',
    {
      config: { access: adminOnly },
      schema: { querystring: auditQuerySchema, response: { 200: auditListResponseSchema } },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const page = await audit.list(limit, cursor, auditFilterOf(filter));
      await admin.recordRead(
        requireAuth(request),
        'audit',
        filter,
        page.items.length,
        requestContext(request),
      );
      return { events: page.items, nextCursor: page.nextCursor };
    },
  );

  app.get<{ Querystring: AuditExportQuery }>(
    '/api/admin/audit/export',
    {
      config: { access: adminOnly },
      // A file (CSV or JSON Lines), sent as text: the serializer does not touch strings.
      schema: { querystring: auditExportQuerySchema, response: { 200: z.string() } },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query;
      const lines: string[] = format === 'csv' ? [csvHeader] : [];
      if (format === 'ocsf') {
        // The SIEM schema (docs/audit-export.md), with each event's place in the hash chain.
        for await (const line of audit.eachOcsf(auditFilterOf(filter), AUDIT_EXPORT_MAX_ROWS)) {
          lines.push(line);
        }
      } else {
        for await (const event of audit.each(auditFilterOf(filter), AUDIT_EXPORT_MAX_ROWS)) {
          lines.push(format === 'csv' ? toCsvRow(event) : JSON.stringify(event));
        }
      }
      const rows = format === 'csv' ? lines.length - 1 : lines.length;
      await admin.recordRead(
        requireAuth(request),
        `audit export ${format}`,
        filter,
        rows,
        requestContext(request),
      );
      const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '');
      return reply
        .header(
          'content-type',
          format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        )
        .header(
          'content-disposition',
          `attachment; filename="portcullis-audit-${stamp}.${extensions[format]}"`,
        )
        .send(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    },
  );
}

const extensions = { csv: 'csv', jsonl: 'jsonl', ocsf: 'ocsf.jsonl' } as const;

const csvColumns = [
  'at',
  'type',
  'outcome',
  'actorEmail',
  'actorId',
  'targetEmail',
  'targetId',
  'ip',
  'userAgent',
  'detail',
  'id',
] as const satisfies readonly (keyof AuditEvent)[];

const csvHeader = csvColumns.join(',');

/**
 * RFC 4180 quoting, and a leading quote on any cell a spreadsheet would run as a formula (= + - @,
 * tab, carriage return): user agents and names are attacker-chosen text (OWASP CSV injection).
 */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  const defused = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) || defused !== value
    ? `"${defused.replace(/"/g, '""')}"`
    : defused;
}

function toCsvRow(event: AuditEvent): string {
  return csvColumns.map((column) => csvCell(event[column])).join(',');
}

export const adminModule: FeatureModule = {
  name: 'admin',
  register(app, context) {
    registerAdminRoutes(app, {
      admin: context.identity.admin,
      audit: context.identity.audit,
      passwordMinLength: context.config.passwordMinLength,
    });
  },
};
