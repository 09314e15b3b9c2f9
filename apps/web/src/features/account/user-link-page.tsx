import { useEffect, useState, type ReactNode } from 'react';
import type { User } from '@portcullis/contract/auth';
import { userMessage } from '../../api/api-error';
import { Page } from '../../components/page';
import { ResultMessage } from '../../components/result-message';
import { Loading } from '../../components/status-message';
import { useAuth } from '../auth/auth-context';
import { isLinkRefusal, LinkProblem, RetryableFailure } from './link-problem';
import { useLinkToken } from './link-token';
import { useLinkRequest } from './use-link-request';

/**
 * A page a mailed link opens that acts on sight and answers with the user (verify an address,
 * confirm a new one): read the token from the fragment, post it once, show the outcome. The
 * signed-in owner's session adopts the returned user at once.
 */
export function UserLinkPage({
  title,
  working,
  doneTitle,
  request,
  onProblem,
  done,
}: {
  title: string;
  working: string;
  doneTitle: string;
  request: (token: string) => Promise<User>;
  /** What to do when the link is missing, used or expired. */
  onProblem: ReactNode;
  done: (user: User, signedInAsOwner: boolean) => ReactNode;
}) {
  const { state, userChanged } = useAuth();
  const linkToken = useLinkToken();
  const [attempt, setAttempt] = useState(0);
  const result = useLinkRequest(linkToken.ok ? linkToken.token : undefined, request, attempt);
  const user = result.status === 'done' ? result.value : undefined;
  useEffect(() => {
    if (user !== undefined) userChanged(user);
  }, [user, userChanged]);

  let content;
  if (!linkToken.ok) {
    content = <LinkProblem message={linkToken.problem}>{onProblem}</LinkProblem>;
  } else if (result.status === 'working') {
    content = <Loading label={working} />;
  } else if (result.status === 'failed') {
    content = isLinkRefusal(result.error) ? (
      <LinkProblem message={userMessage(result.error)}>{onProblem}</LinkProblem>
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
    content = (
      <ResultMessage tone="success" title={doneTitle}>
        {done(result.value, signedInAsOwner)}
      </ResultMessage>
    );
  }
  return <Page title={title}>{content}</Page>;
}
