import type { ReactNode } from 'react';
import { userMessage } from '../api/api-error';

/**
 * A polite live region for confirmations ("Note saved."). It is always in the DOM, because screen
 * readers only announce changes to a region they already know about.
 */
export function StatusMessage({ message }: { message: string }) {
  return (
    <p
      role="status"
      className={message === '' ? 'status-message status-message--empty' : 'status-message'}
    >
      {message}
    </p>
  );
}

/** A failure to show in place of content, announced at once. */
export function ErrorAlert({ message, children }: { message: string; children?: ReactNode }) {
  return (
    <div role="alert" className="alert alert--error">
      <p>{message}</p>
      {children}
    </div>
  );
}

/** A read that failed, in place of what it would have shown, with the way to read it again. */
export function LoadFailed({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <ErrorAlert message={userMessage(error)}>
      <button type="button" className="button" onClick={onRetry}>
        Try again
      </button>
    </ErrorAlert>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}
