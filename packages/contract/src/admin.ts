import { z } from 'zod';
import { userSchema } from './auth.js';
import {
  displayNameSchema,
  emailSchema,
  paginationQuerySchema,
  timestampSchema,
} from './common.js';
import { passwordSchema } from './password-policy.js';
import { roleSchema } from './roles.js';

/** Disabled wins over locked, locked over unverified: the status shown is the one that binds. */
export const userStatuses = ['active', 'unverified', 'locked', 'disabled'] as const;
export const userStatusSchema = z.enum(userStatuses);
export type UserStatus = z.infer<typeof userStatusSchema>;

/** Last sign-in filters, in the words an admin thinks in. */
export const lastSignInFilters = ['never', 'within-7d', 'within-30d', 'over-30d'] as const;
export const lastSignInFilterSchema = z.enum(lastSignInFilters);
export type LastSignInFilter = z.infer<typeof lastSignInFilterSchema>;

export const adminUserSchema = userSchema.extend({
  /**
   * When the account-wide sign-in lock ends (ISO 8601), or null. Locks on one client's attempts
   * are not shown: they bind that client only, and the owner signs in from elsewhere.
   */
  lockedUntil: z.string().nullable(),
  status: userStatusSchema,
  disabledAt: timestampSchema.nullable(),
  lastSignInAt: timestampSchema.nullable(),
  /** The next sign-in is refused until the password is reset through the mailed link. */
  mustResetPassword: z.boolean(),
});
export type AdminUser = z.infer<typeof adminUserSchema>;

export const userListQuerySchema = paginationQuerySchema.extend({
  /** Matches anywhere in the email or the name, case-insensitively. */
  q: z.string().trim().max(100).optional(),
  role: roleSchema.optional(),
  status: userStatusSchema.optional(),
  lastSignIn: lastSignInFilterSchema.optional(),
});
export type UserListQuery = z.infer<typeof userListQuerySchema>;

/**
 * Without a password the account is an invitation: the invitee sets one through a mailed link,
 * which also proves the address. With one, the address still has to be confirmed by mail.
 */
export function createUserBodySchema(minPasswordLength?: number) {
  return z.strictObject({
    email: emailSchema,
    name: displayNameSchema,
    role: roleSchema,
    password: passwordSchema(minPasswordLength).optional(),
  });
}
export type CreateUserBody = z.infer<ReturnType<typeof createUserBodySchema>>;

export const adminUserResponseSchema = z.object({ user: adminUserSchema });
export type AdminUserResponse = z.infer<typeof adminUserResponseSchema>;

/** The per-user actions that carry no data: POST /api/admin/users/:id/<action> with `{}` or no body. */
export const adminUserActions = [
  'disable',
  'enable',
  'unlock',
  'sign-out',
  'force-password-reset',
  'resend-verification',
  'reset-factors',
] as const;
export type AdminUserAction = (typeof adminUserActions)[number];

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
  'account_deleted',
  'user_created',
  'user_invited',
  'invitation_accepted',
  'user_disabled',
  'user_enabled',
  'password_reset_forced',
  'verification_resent',
  'admin_read',
  'data_exported',
  'totp_enabled',
  'totp_disabled',
  'recovery_codes_generated',
  'recovery_code_used',
  'passkey_added',
  'passkey_removed',
  'reauthenticated',
  'factors_reset',
  'provider_linked',
  'provider_unlinked',
  'provider_sign_in_failed',
  'provider_logout',
  'audit_exported',
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
  targetEmail: z.string().nullable(),
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

export const auditQuerySchema = paginationQuerySchema.extend({
  type: auditEventTypeSchema.optional(),
  /** An email, matched exactly (case-insensitively) against who acted. */
  actor: z.string().trim().toLowerCase().max(254).optional(),
  /** An email, matched exactly (case-insensitively) against whom it was done to. */
  target: z.string().trim().toLowerCase().max(254).optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

/**
 * The filtered view as a file: CSV for spreadsheets, JSON Lines for log tools, and `ocsf`: JSON
 * Lines in the OCSF schema of docs/audit-export.md, for a SIEM.
 */
export const auditExportQuerySchema = auditQuerySchema
  .omit({ cursor: true, limit: true })
  .extend({ format: z.enum(['csv', 'jsonl', 'ocsf']) });
export type AuditExportQuery = z.infer<typeof auditExportQuerySchema>;

/** Exports stop here; narrow the filters to see more. */
export const AUDIT_EXPORT_MAX_ROWS = 10_000;
