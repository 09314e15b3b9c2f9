import { z } from 'zod';
import { userSchema } from './auth.js';
import { roleSchema } from './roles.js';

export const adminUserSchema = userSchema.extend({
  /**
   * When the account-wide sign-in lock ends (ISO 8601), or null. Locks on one client's attempts
   * are not shown: they bind that client only, and the owner signs in from elsewhere.
   */
  lockedUntil: z.string().nullable(),
});
export type AdminUser = z.infer<typeof adminUserSchema>;

export const adminUserListResponseSchema = z.object({
  users: z.array(adminUserSchema),
  nextCursor: z.string().nullable(),
});
export type AdminUserListResponse = z.infer<typeof adminUserListResponseSchema>;

export const updateUserRoleBodySchema = z.strictObject({ role: roleSchema });
export type UpdateUserRoleBody = z.infer<typeof updateUserRoleBodySchema>;

/** `POST /api/admin/users/:id/unlock` carries nothing; a body, if sent, must be `{}`. */
export const unlockUserBodySchema = z.strictObject({}).nullish();
export type UnlockUserBody = z.infer<typeof unlockUserBodySchema>;

export const auditEventTypes = [
  'register',
  'login_succeeded',
  'login_failed',
  'login_locked',
  'logout',
  'password_changed',
  'role_changed',
  'csrf_failed',
  'refresh_token_reuse',
  'session_revoked',
  // Append only: stored rows keep their type name.
  'user_unlocked',
  'audit_pruned',
  'email_verified',
  'password_reset_requested',
  'password_reset',
  'email_change_requested',
  'email_changed',
  'email_change_undone',
  'sessions_revoked_not_me',
  'new_device_sign_in',
] as const;
export const auditEventTypeSchema = z.enum(auditEventTypes);
export type AuditEventType = z.infer<typeof auditEventTypeSchema>;

export const auditEventSchema = z.object({
  id: z.string(),
  at: z.string(),
  type: auditEventTypeSchema,
  outcome: z.enum(['success', 'failure']),
  actorId: z.string().nullable(),
  actorEmail: z.string().nullable(),
  targetId: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  detail: z.string().nullable(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const auditListResponseSchema = z.object({
  events: z.array(auditEventSchema),
  nextCursor: z.string().nullable(),
});
export type AuditListResponse = z.infer<typeof auditListResponseSchema>;
