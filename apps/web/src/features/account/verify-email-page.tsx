import { Link } from 'react-router';
import type { SignInNotice } from '../auth/sign-in-notice';
import { verifyEmailRequest } from './account-api';
import { UserLinkPage } from './user-link-page';

/** /verify-email#token=…, from the mail sent at registration: confirms the address on sight. */
export function VerifyEmailPage() {
  return (
    <UserLinkPage
      title="Confirm your email address"
      working="Confirming your address…"
      doneTitle="Your address is confirmed"
      request={verifyEmailRequest}
      onProblem={
        <p>
          <Link to="/check-inbox">Ask for a new link</Link>
        </p>
      }
      done={(user, signedInAsOwner) => {
        const notice: SignInNotice = { notice: 'email-verified', email: user.email };
        return (
          <>
            <p>
              Thank you: <strong className="email">{user.email}</strong> is confirmed.
            </p>
            <p>
              {/* The owner signed in here (waiting on "check your inbox") is let in at once. */}
              {signedInAsOwner ? (
                <Link to="/notes">Continue to your notes</Link>
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
