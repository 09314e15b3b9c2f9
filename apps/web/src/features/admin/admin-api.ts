import {
  adminUserListResponseSchema,
  auditListResponseSchema,
  type AdminUser,
  type AuditEvent,
} from '@portcullis/contract/admin';
import { sessionResponseSchema, type User } from '@portcullis/contract/auth';
import type { Role } from '@portcullis/contract/roles';
import { apiJson, apiNoContent, withQuery } from '../../api/api-client';
import type { CursorPage } from '../../lib/use-cursor-list';

export async function listUsersPage(
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<CursorPage<AdminUser>> {
  const { users, nextCursor } = await apiJson(
    withQuery('/api/admin/users', { cursor }),
    adminUserListResponseSchema,
    { signal },
  );
  return { items: users, nextCursor };
}

export async function updateUserRoleRequest(id: string, role: Role): Promise<User> {
  const { user } = await apiJson(
    `/api/admin/users/${encodeURIComponent(id)}`,
    sessionResponseSchema,
    { method: 'PATCH', body: { role } },
  );
  return user;
}

/** Clears every sign-in lock on the account; the server records who did it (audit). */
export async function unlockUserRequest(id: string): Promise<void> {
  await apiNoContent(`/api/admin/users/${encodeURIComponent(id)}/unlock`, {
    method: 'POST',
    // An empty JSON object, not an absent body: the server validates every POST body.
    body: {},
  });
}

export async function listAuditPage(
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<CursorPage<AuditEvent>> {
  const { events, nextCursor } = await apiJson(
    withQuery('/api/admin/audit', { cursor }),
    auditListResponseSchema,
    { signal },
  );
  return { items: events, nextCursor };
}
