import { sessionResponseSchema, type User } from '@portcullis/contract/auth';
import type { ChangePasswordBody, UpdateProfileBody } from '@portcullis/contract/profile';
import { apiJson, apiNoContent } from '../../api/api-client';

export async function updateProfileRequest(body: UpdateProfileBody): Promise<User> {
  const { user } = await apiJson('/api/profile', sessionResponseSchema, { method: 'PATCH', body });
  return user;
}

export function changePasswordRequest(body: ChangePasswordBody): Promise<void> {
  return apiNoContent('/api/profile/password', { method: 'POST', body });
}
