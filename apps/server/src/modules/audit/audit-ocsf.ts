import type { AuditEventType } from '@portcullis/contract/admin';
import type { AuditRow } from './audit-repository.js';

/**
 * Audit events as OCSF 1.3 records (docs/audit-export.md), the schema SIEMs ingest without a
 * custom parser: sign-ins and sign-outs as Authentication (3002), changes to an account as
 * Account Change (3001), everything else as a Base Event (0) that keeps Portcullis' own type.
 */

export const OCSF_VERSION = '1.3.0';

interface OcsfClass {
  classUid: 0 | 3001 | 3002;
  activityId: number;
  activityName: string;
}

const authentication = (activityId: number, activityName: string): OcsfClass => ({
  classUid: 3002,
  activityId,
  activityName,
});
const accountChange = (activityId: number, activityName: string): OcsfClass => ({
  classUid: 3001,
  activityId,
  activityName,
});

/** Activity ids are OCSF's own (3002: 1 Logon, 2 Logoff, 99 Other; 3001: its list, 99 Other). */
const mapped: Partial<Record<AuditEventType, OcsfClass>> = {
  login_succeeded: authentication(1, 'Logon'),
  login_failed: authentication(1, 'Logon'),
  login_locked: authentication(1, 'Logon'),
  new_device_sign_in: authentication(1, 'Logon'),
  recovery_code_used: authentication(1, 'Logon'),
  provider_sign_in_failed: authentication(1, 'Logon'),
  reauthenticated: authentication(99, 'Other'),
  logout: authentication(2, 'Logoff'),
  provider_logout: authentication(2, 'Logoff'),
  register: accountChange(1, 'Create'),
  user_created: accountChange(1, 'Create'),
  user_invited: accountChange(1, 'Create'),
  invitation_accepted: accountChange(2, 'Enable'),
  user_enabled: accountChange(2, 'Enable'),
  email_verified: accountChange(2, 'Enable'),
  password_changed: accountChange(3, 'Password Change'),
  password_reset: accountChange(4, 'Password Reset'),
  password_reset_forced: accountChange(4, 'Password Reset'),
  user_disabled: accountChange(5, 'Disable'),
  account_deleted: accountChange(6, 'Delete'),
  role_changed: accountChange(7, 'Attach Policy'),
  user_unlocked: accountChange(12, 'Unlock'),
  totp_enabled: accountChange(10, 'MFA Factor Enable'),
  passkey_added: accountChange(10, 'MFA Factor Enable'),
  recovery_codes_generated: accountChange(10, 'MFA Factor Enable'),
  totp_disabled: accountChange(11, 'MFA Factor Disable'),
  passkey_removed: accountChange(11, 'MFA Factor Disable'),
  factors_reset: accountChange(11, 'MFA Factor Disable'),
  email_changed: accountChange(99, 'Other'),
  email_change_undone: accountChange(99, 'Other'),
  provider_linked: accountChange(99, 'Other'),
  provider_unlinked: accountChange(99, 'Other'),
};

const classNames = { 0: 'Base Event', 3001: 'Account Change', 3002: 'Authentication' } as const;

export function ocsfClassOf(type: string): OcsfClass {
  return mapped[type as AuditEventType] ?? { classUid: 0, activityId: 99, activityName: 'Other' };
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Nulls are left out: OCSF treats an absent attribute as unknown, which is what null means here. */
function compact(value: Record<string, Json | undefined>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    if (typeof item === 'object' && !Array.isArray(item)) {
      const inner = compact(item);
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else out[key] = item;
  }
  return out;
}

export function toOcsf(row: AuditRow): Record<string, Json> {
  const { classUid, activityId, activityName } = ocsfClassOf(row.type);
  const success = row.outcome === 'success';
  const actor = { uid: row.actor_id, email_addr: row.actor_email };
  const target = { uid: row.target_id, email_addr: row.target_email };
  return compact({
    time: row.at,
    category_uid: classUid === 0 ? 0 : 3,
    category_name: classUid === 0 ? 'Uncategorized' : 'Identity & Access Management',
    class_uid: classUid,
    class_name: classNames[classUid],
    activity_id: activityId,
    activity_name: activityName,
    type_uid: classUid * 100 + activityId,
    // Failures of sign-in are what a SIEM alerts on; the rest is information.
    severity_id: success ? 1 : 3,
    severity: success ? 'Informational' : 'Medium',
    status_id: success ? 1 : 2,
    status: success ? 'Success' : 'Failure',
    message: row.detail,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Portcullis', vendor_name: 'Portcullis' },
      uid: row.id,
      event_code: row.type,
      log_name: 'audit',
      sequence: row.seq ?? null,
    },
    actor: { user: actor },
    // Authentication: the user signing in (the actor when known, else the account named).
    // Account Change: the account changed. Base Event: the target, when there is one.
    user:
      classUid === 3002
        ? { uid: row.actor_id ?? row.target_id, email_addr: row.actor_email ?? row.target_email }
        : target,
    // The CLI's events carry `cli` for an address (cli.ts); OCSF wants an IP there or nothing.
    src_endpoint: { ip: row.ip === 'cli' ? null : row.ip },
    http_request: { user_agent: row.user_agent },
    // The chain, so a SIEM can check it is receiving every event and that none changed.
    unmapped: { prev_hash: row.prev_hash ?? null, hash: row.hash ?? null },
  });
}
