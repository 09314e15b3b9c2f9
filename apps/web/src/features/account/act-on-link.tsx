import { useState, type ReactNode } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { Page } from '../../components/page';
import { ResultMessage } from '../../components/result-message';
import { useAuth } from '../auth/auth-context';
import { isLinkRefusal, LinkProblem } from './link-problem';
import { useLinkToken } from './link-token';

interface ActOnLinkProps {
  title: string;
  /** What pressing the button will do. */
  intro: ReactNode;
  actionLabel: string;
  busyLabel: string;
  request: (token: string) => Promise<void>;
  /** What to do instead when the link cannot be used. */
  otherwise: ReactNode;
  successTitle: string;
  success: ReactNode;
}

type Outcome =
  { status: 'idle' } | { status: 'done' } | { status: 'failed'; error: unknown; attempt: number };

/**
 * A link whose action signs out every session of the account (undo an email change, "this was not
 * me"). Unlike confirming an address it waits for a press: mail filters that open links to scan
 * them must not sign the owner out everywhere or reverse a change the owner made.
 */
export function ActOnLink(props: ActOnLinkProps) {
  const { afterSessionsRevoked } = useAuth();
  const linkToken = useLinkToken();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>({ status: 'idle' });

  if (!linkToken.ok) {
    return (
      <Page title={props.title}>
        <LinkProblem message={linkToken.problem}>{props.otherwise}</LinkProblem>
      </Page>
    );
  }
  const { token } = linkToken;

  const act = async () => {
    setBusy(true);
    try {
      await props.request(token);
    } catch (error) {
      setOutcome((previous) => ({
        status: 'failed',
        error,
        attempt: previous.status === 'failed' ? previous.attempt + 1 : 1,
      }));
      setBusy(false);
      return;
    }
    try {
      // This browser's own session may have been one of those revoked.
      await afterSessionsRevoked();
    } catch {
      // Done all the same; the next request here finds the session gone.
    }
    setOutcome({ status: 'done' });
    setBusy(false);
  };

  if (outcome.status === 'done') {
    return (
      <Page title={props.title}>
        <ResultMessage tone="success" title={props.successTitle}>
          {props.success}
        </ResultMessage>
      </Page>
    );
  }

  if (outcome.status === 'failed' && isLinkRefusal(outcome.error)) {
    return (
      <Page title={props.title}>
        <LinkProblem message={userMessage(outcome.error)}>{props.otherwise}</LinkProblem>
      </Page>
    );
  }

  return (
    <Page title={props.title}>
      {outcome.status === 'failed' && (
        // A new element per attempt, so a second failure takes focus and is announced again.
        <ResultMessage key={outcome.attempt} tone="error" title="That did not work">
          <p>{userMessage(outcome.error)}</p>
        </ResultMessage>
      )}
      {props.intro}
      <div className="button-row">
        <ActionButton
          className="button"
          unavailable={busy}
          onClick={() => {
            void act();
          }}
        >
          {busy ? props.busyLabel : props.actionLabel}
        </ActionButton>
      </div>
    </Page>
  );
}
