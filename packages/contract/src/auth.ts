import { z } from 'zod';
import { displayNameSchema, emailSchema } from './common.js';
import { enteredPasswordSchema, passwordSchema } from './password-policy.js';
import { roleSchema } from './roles.js';

export const CSRF_HEADER = 'x-csrf-token';

export const csrfResponseSchema = z.object({ csrfToken: z.string() });
export type CsrfResponse = z.infer<typeof csrfResponseSchema>;

/** Strict objects: an unknown field such as `role` is refused, so nobody can mass-assign it. */
export function registerBodySchema(minPasswordLength?: number) {
  return z.strictObject({
    email: emailSchema,
    password: passwordSchema(minPasswordLength),
    name: displayNameSchema,
  });
}
export type RegisterBody = z.infer<ReturnType<typeof registerBodySchema>>;

export const loginBodySchema = z.strictObject({
  email: emailSchema,
  // Login never applies the policy: a password set under an older policy must still sign in.
  password: enteredPasswordSchema('Enter your password.'),
  /**
   * Unticked (the default), the session ends with the browser and after a short idle time;
   * ticked, it lasts the long lifetime. Both have an absolute maximum (ADR 013).
   */
  remember: z.boolean().optional(),
});
export type LoginBody = z.infer<typeof loginBodySchema>;

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  /** False until the owner follows the link mailed at registration (or after an email change). */
  emailVerified: z.boolean(),
  createdAt: z.string(),
});
export type User = z.infer<typeof userSchema>;

export const sessionResponseSchema = z.object({ user: userSchema });
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

/**
 * GET /api/session: who is signed in, answered 200 even to a visitor, so an anonymous page load
 * asks without a refusal. The refresh cookie is HttpOnly and the browser cannot see it, so the
 * server says whether one came with the request: the client refreshes only when it can succeed.
 */
export const currentSessionResponseSchema = z.object({
  user: userSchema.nullable(),
  canRefresh: z.boolean(),
});
export type CurrentSessionResponse = z.infer<typeof currentSessionResponseSchema>;
