import { userMessage } from '../api/api-error';

/**
 * The sentence for a failure that may come from the server or from the browser's passkey prompt.
 * The prompt's errors are matched by name, not class, so this module does not pull the WebAuthn
 * library into the first page; their messages are our own sentences (lib/webauthn.ts), never the
 * browser's.
 */
export function failureMessage(error: unknown): string {
  if (error instanceof Error && error.name === 'PasskeyPromptError') return error.message;
  return userMessage(error);
}
