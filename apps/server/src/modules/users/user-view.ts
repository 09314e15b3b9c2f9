import type { User } from '@portcullis/contract/auth';
import type { AuthContext } from '../../plugins/access-control.js';
import type { UserRow } from './user-repository.js';

/** The public shape of a user: never a credential or any other column by accident. */
export function toUser(
  row: Pick<UserRow, 'id' | 'email' | 'name' | 'role' | 'created_at' | 'email_verified_at'>,
): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    emailVerified: row.email_verified_at !== null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** The same shape from the live session state, which the access check already loaded. */
export function principalToUser(auth: AuthContext): User {
  return {
    id: auth.userId,
    email: auth.email,
    name: auth.name,
    role: auth.role,
    emailVerified: auth.emailVerified,
    createdAt: new Date(auth.createdAt).toISOString(),
  };
}
