import { z } from 'zod';
import { displayNameSchema } from './common.js';
import { enteredPasswordSchema, passwordSchema } from './password-policy.js';

export const updateProfileBodySchema = z.strictObject({ name: displayNameSchema });
export type UpdateProfileBody = z.infer<typeof updateProfileBodySchema>;

export function changePasswordBodySchema(minPasswordLength?: number) {
  return z.strictObject({
    currentPassword: enteredPasswordSchema('Enter your current password.'),
    newPassword: passwordSchema(minPasswordLength),
  });
}
export type ChangePasswordBody = z.infer<ReturnType<typeof changePasswordBodySchema>>;

export const secureDataResponseSchema = z.object({
  message: z.string(),
  userId: z.string(),
  role: z.string(),
  serverTime: z.string(),
});
export type SecureDataResponse = z.infer<typeof secureDataResponseSchema>;
