import type { ReactNode } from 'react';

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

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  );
}
