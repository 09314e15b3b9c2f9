import type { User } from '@portcullis/contract/auth';
import type { UserRow } from './user-repository.js';

/** The public shape of a user: never the password hash or any other column by accident. */
export function toUser(row: Pick<UserRow, 'id' | 'email' | 'name' | 'role' | 'created_at'>): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
