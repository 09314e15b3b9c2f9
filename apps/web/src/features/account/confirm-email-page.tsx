import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { userMessage } from '../../api/api-error';
import { Page } from '../../components/page';
import { ResultMessage } from '../../components/result-message';
import { Loading } from '../../components/status-message';
import { useAuth } from '../auth/auth-context';
import type { SignInNotice } from '../auth/sign-in-notice';
import { confirmEmailChangeRequest } from './account-api';
import { isLinkRefusal, LinkProblem, RetryableFailure } from './link-problem';
import { useLinkToken } from './link-token';
import { useLinkRequest } from './use-link-request';

function StartAgain() {
  return (
    <p>
      To change your address, start again from <Link to="/profile">your profile</Link>.
    </p>
  );
}

/**
 * /confirm-email#token=…, from the mail sent to the new address: following it is what moves the
 * account there (the old address is told, with a link to undo it).
 */
export function ConfirmEmailPage() {
  const { state, userChanged } = useAuth();
  const linkToken = useLinkToken();
  const [attempt, setAttempt] = useState(0);
  const result = useLinkRequest(
    linkToken.ok ? linkToken.token : undefined,
    confirmEmailChangeRequest,
    attempt,
  );
  const changed = result.status === 'done' ? result.value : undefined;

  useEffect(() => {
    // Signed in here as that user, the profile shows the new address at once.
    if (changed !== undefined) userChanged(changed);
  }, [changed, userChanged]);

  let content;
  if (!linkToken.ok) {
    content = (
      <LinkProblem message={linkToken.problem}>
        <StartAgain />
      </LinkProblem>
    );
  } else if (result.status === 'working') {
    content = <Loading label="Confirming your new address…" />;
  } else if (result.status === 'failed') {
    content = isLinkRefusal(result.error) ? (
      <LinkProblem message={userMessage(result.error)}>
        <StartAgain />
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
    const notice: SignInNotice = { email: result.value.email };
    content = (
      <ResultMessage tone="success" title="Your email address is changed">
        <p>
          Your account now uses <strong className="email">{result.value.email}</strong>. Sign in
          with it from now on. We told your previous address, in case this was not you.
        </p>
        <p>
          {signedInAsOwner ? (
            <Link to="/profile">Go to your profile</Link>
          ) : (
            <Link to="/sign-in" state={notice}>
              Sign in
            </Link>
          )}
        </p>
      </ResultMessage>
    );
  }

  return <Page title="Confirm your new email address">{content}</Page>;
}
