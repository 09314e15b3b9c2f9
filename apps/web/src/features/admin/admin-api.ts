import {
  adminUserListResponseSchema,
  auditListResponseSchema,
  type AdminUser,
  type AdminUserAction,
  type AuditEvent,
  type AuditExportQuery,
  type CreateUserBody,
  type LastSignInFilter,
  type UserStatus,
} from '@portcullis/contract/admin';
import { sessionResponseSchema, type User } from '@portcullis/contract/auth';
import { revokedSessionsResponseSchema } from '@portcullis/contract/security';
import type { Role } from '@portcullis/contract/roles';
import {
  apiDownload,
  apiJson,
  apiNoContent,
  withQuery,
  type DownloadedFile,
} from '../../api/api-client';
import type { CursorPage } from '../../lib/use-cursor-list';

/** The users list's filters as the admin set them; unset ones are left out of the query. */
export interface UserFilters {
  q?: string;
  role?: Role;
  status?: UserStatus;
  lastSignIn?: LastSignInFilter;
}

export async function listUsersPage(
  filters: UserFilters,
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<CursorPage<AdminUser>> {
  const { users, nextCursor } = await apiJson(
    withQuery('/api/admin/users', { ...filters, cursor }),
    adminUserListResponseSchema,
    { signal },
  );
  return { items: users, nextCursor };
}

function userPath(id: string): string {
  return `/api/admin/users/${encodeURIComponent(id)}`;
}

/**
 * Read as the plain user: what the admin screen needs from the answer is the address and role,
 * and the list is read again afterwards for the rest.
 */
export async function createUserRequest(body: CreateUserBody): Promise<User> {
  const { user } = await apiJson('/api/admin/users', sessionResponseSchema, {
    method: 'POST',
    body,
  });
  return user;
}

/** The fields a role change can touch; the row keeps its admin-only ones (status, lock). */
export async function updateUserRoleRequest(id: string, role: Role): Promise<User> {
  const { user } = await apiJson(userPath(id), sessionResponseSchema, {
    method: 'PATCH',
    body: { role },
  });
  return user;
}

/**
 * The per-user actions that carry no data. The server records who did each (audit); sign-out
 * answers how many sessions it ended, the others 204.
 */
export async function userActionRequest(id: string, action: AdminUserAction): Promise<void> {
  // An empty JSON object, not an absent body: the server validates every POST body.
  const options = { method: 'POST', body: {} } as const;
  if (action === 'sign-out') {
    await apiJson(`${userPath(id)}/sign-out`, revokedSessionsResponseSchema, options);
  } else {
    await apiNoContent(`${userPath(id)}/${action}`, options);
  }
}

export function deleteUserRequest(id: string): Promise<void> {
  return apiNoContent(userPath(id), { method: 'DELETE' });
}

/** The audit log's filters; actor and target are email addresses, from/to ISO 8601 instants. */
export type AuditFilters = Omit<AuditExportQuery, 'format'>;

export async function listAuditPage(
  filters: AuditFilters,
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<CursorPage<AuditEvent>> {
  const { events, nextCursor } = await apiJson(
    withQuery('/api/admin/audit', { ...filters, cursor }),
    auditListResponseSchema,
    { signal },
  );
  return { items: events, nextCursor };
}

export function exportAuditRequest(
  filters: AuditFilters,
  format: AuditExportQuery['format'],
): Promise<DownloadedFile> {
  return apiDownload(
    withQuery('/api/admin/audit/export', { ...filters, format }),
    `portcullis-audit.${format}`,
  );
}
