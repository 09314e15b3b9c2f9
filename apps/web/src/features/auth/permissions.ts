import type { Role } from '@portcullis/contract/roles';

/**
 * What the UI offers each role. The server enforces the same rules on every request; hiding a
 * control here is only so nobody is offered what they will be refused.
 */
export function canWriteNotes(role: Role): boolean {
  return role === 'user' || role === 'admin';
}

/** Guests are read-only, their own name included; changing a password stays open to everyone. */
export function canEditProfile(role: Role): boolean {
  return role === 'user' || role === 'admin';
}

/** Exporting and deleting one's own account: the server refuses guests both (403). */
export function canManageOwnData(role: Role): boolean {
  return role === 'user' || role === 'admin';
}

export function canAdminister(role: Role): boolean {
  return role === 'admin';
}

export const roleLabels: Record<Role, string> = {
  guest: 'Guest',
  user: 'User',
  admin: 'Administrator',
};
