import { z } from 'zod';

/** What the sign-in page is told through history state (never the URL, so no email in logs). */
const signInNoticeSchema = z.object({
  notice: z
    .enum([
      'email-verified',
      'password-changed',
      'signed-out',
      'session-ended',
      'account-deleted',
      'invitation-accepted',
    ])
    .optional(),
  email: z.string().optional(),
});
export type SignInNotice = z.infer<typeof signInNoticeSchema>;

export function readSignInNotice(state: unknown): SignInNotice | undefined {
  const parsed = signInNoticeSchema.safeParse(state);
  return parsed.success ? parsed.data : undefined;
}

export const signInNoticeMessages: Record<NonNullable<SignInNotice['notice']>, string> = {
  'email-verified': 'Your address is confirmed. Sign in to continue.',
  'password-changed': 'Your password was changed. Sign in with the new one.',
  'signed-out': 'You have signed out.',
  'session-ended': 'Your session has ended. Sign in again to continue.',
  'account-deleted': 'Your account has been deleted and you have been signed out everywhere.',
  'invitation-accepted': 'Your password is set and your address is confirmed. Sign in to continue.',
};

/**
 * An address handed to a page through history state (never the URL): the one just registered, for
 * "check your inbox", or the one typed on the sign-in page, for "forgot password".
 */
const emailStateSchema = z.object({ email: z.string() });

export function readEmailState(state: unknown): string | undefined {
  const parsed = emailStateSchema.safeParse(state);
  return parsed.success ? parsed.data.email : undefined;
}
