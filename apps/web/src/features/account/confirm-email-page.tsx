import { Link } from 'react-router';
import type { SignInNotice } from '../auth/sign-in-notice';
import { confirmEmailChangeRequest } from './account-api';
import { UserLinkPage } from './user-link-page';

/**
 * /confirm-email#token=…, from the mail sent to the new address: following it is what moves the
 * account there (the old address is told, with a link to undo it).
 */
export function ConfirmEmailPage() {
  return (
    <UserLinkPage
      title="Confirm your new email address"
      working="Confirming your new address…"
      doneTitle="Your email address is changed"
      request={confirmEmailChangeRequest}
      onProblem={
        <p>
          To change your address, start again from <Link to="/profile">your profile</Link>.
        </p>
      }
      done={(user, signedInAsOwner) => {
        const notice: SignInNotice = { email: user.email };
        return (
          <>
            <p>
              Your account now uses <strong className="email">{user.email}</strong>. Sign in with it
              from now on. We told your previous address, in case this was not you.
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
          </>
        );
      }}
    />
  );
}
