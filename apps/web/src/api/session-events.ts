import type { User } from '@portcullis/contract/auth';

/**
 * What the API layer tells the UI about the session. The client cannot hold React state, so it
 * announces events and the auth context decides what they mean for the screen.
 */
export type SessionEvent =
  /** A refresh failed: the session is over and the user must sign in again. */
  | { type: 'session-ended' }
  /** A refresh succeeded; the response carries the user as the server now sees them. */
  | { type: 'refreshed'; user: User }
  /** The server refused an action; the role may have changed since the page loaded. */
  | { type: 'forbidden' }
  /** The server wants the address confirmed first; the user may have changed (a new address). */
  | { type: 'email-not-verified' }
  /** The user's role requires a second factor they have not set up; nothing else works until then. */
  | { type: 'mfa-enrollment-required' }
  /** Another tab signed in or out, so this tab's idea of the user is stale. */
  | { type: 'remote-signed-in' }
  | { type: 'remote-signed-out' };

type Listener = (event: SessionEvent) => void;

const listeners = new Set<Listener>();

export function subscribeSessionEvents(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function emitSessionEvent(event: SessionEvent): void {
  for (const listener of listeners) listener(event);
}
