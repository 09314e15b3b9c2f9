import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { userMessage } from '../../api/api-error';
import { Page } from '../../components/page';
import { ResultMessage } from '../../components/result-message';
import { Loading } from '../../components/status-message';
import { useAuth } from '../auth/auth-context';
import type { SignInNotice } from '../auth/sign-in-notice';
import { verifyEmailRequest } from './account-api';
import { isLinkRefusal, LinkProblem, RetryableFailure } from './link-problem';
import { useLinkToken } from './link-token';
import { useLinkRequest } from './use-link-request';

function AskForNewLink() {
  return (
    <p>
      <Link to="/check-inbox">Ask for a new link</Link>
    </p>
  );
}

/** /verify-email#token=…, from the mail sent at registration: confirms the address on sight. */
export function VerifyEmailPage() {
  const { state, userChanged } = useAuth();
  const linkToken = useLinkToken();
  const [attempt, setAttempt] = useState(0);
  const result = useLinkRequest(
    linkToken.ok ? linkToken.token : undefined,
    verifyEmailRequest,
    attempt,
  );
  const verified = result.status === 'done' ? result.value : undefined;
  useEffect(() => {
    // The owner signed in here (waiting on "check your inbox") is let in at once.
    if (verified !== undefined) userChanged(verified);
  }, [verified, userChanged]);

  let content;
  if (!linkToken.ok) {
    content = (
      <LinkProblem message={linkToken.problem}>
        <AskForNewLink />
      </LinkProblem>
    );
  } else if (result.status === 'working') {
    content = <Loading label="Confirming your address…" />;
  } else if (result.status === 'failed') {
    content = isLinkRefusal(result.error) ? (
      <LinkProblem message={userMessage(result.error)}>
        <AskForNewLink />
      </LinkProblem>
    ) : (
      <RetryableFailure
        error={result.error}
        onRetry={() => {
          setAttempt((value) => value + 1);
        }}
      />
    );
  } else {
    const signedInAsOwner = state.status === 'authenticated' && state.user.id === result.value.id;
    const notice: SignInNotice = { notice: 'email-verified', email: result.value.email };
    content = (
      <ResultMessage tone="success" title="Your address is confirmed">
        <p>
          Thank you: <strong className="email">{result.value.email}</strong> is confirmed.
        </p>
        <p>
          {signedInAsOwner ? (
            <Link to="/notes">Continue to your notes</Link>
          ) : (
            <Link to="/sign-in" state={notice}>
              Sign in
            </Link>
          )}
        </p>
      </ResultMessage>
    );
  }

  return <Page title="Confirm your email address">{content}</Page>;
}
