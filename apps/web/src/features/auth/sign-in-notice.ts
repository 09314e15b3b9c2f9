import { z } from 'zod';

/** What the sign-in page is told through history state (never the URL, so no email in logs). */
const signInNoticeSchema = z.object({
  notice: z.enum(['registered', 'signed-out', 'session-ended']),
  email: z.string().optional(),
});
export type SignInNotice = z.infer<typeof signInNoticeSchema>;

export function readSignInNotice(state: unknown): SignInNotice | undefined {
  const parsed = signInNoticeSchema.safeParse(state);
  return parsed.success ? parsed.data : undefined;
}

export const signInNoticeMessages: Record<SignInNotice['notice'], string> = {
  registered: 'Your account is ready. Sign in to continue.',
  'signed-out': 'You have signed out.',
  'session-ended': 'Your session has ended. Sign in again to continue.',
};
