import type { ReactNode } from 'react';
import { ApiError, userMessage } from '../../api/api-error';
import { ResultMessage } from '../../components/result-message';

/** A link that cannot be used (none, mangled, expired, already used) and what to do instead. */
export function LinkProblem({ message, children }: { message: string; children: ReactNode }) {
  return (
    <ResultMessage tone="error" title="This link cannot be used">
      <p>{message}</p>
      {children}
    </ResultMessage>
  );
}

/** Whether a failure was the link's (a new link is the fix) rather than a passing one (retry). */
export function isLinkRefusal(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'invalid_token' || error.status === 400);
}

/** A failure that was not the link's fault: the same link may work on a second try. */
export function RetryableFailure({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <ResultMessage tone="error" title="That did not work">
      <p>{userMessage(error)}</p>
      <button type="button" className="button" onClick={onRetry}>
        Try again
      </button>
    </ResultMessage>
  );
}
