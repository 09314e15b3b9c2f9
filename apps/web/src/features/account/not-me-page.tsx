import { Link } from 'react-router';
import { notMeRequest } from './account-api';
import { ActOnLink } from './act-on-link';

/** /not-me#token=…, from a security notice (a new device signed in, the password changed). */
export function NotMePage() {
  return (
    <ActOnLink
      title="This was not me"
      intro={
        <p className="lead">
          If you did not do what the message described, someone else may be using your account. Sign
          out every device now, then choose a new password.
        </p>
      }
      actionLabel="Sign out every device"
      busyLabel="Signing out…"
      request={notMeRequest}
      otherwise={
        <p>
          <Link to="/forgot-password">Reset your password</Link> to protect your account: that signs
          out every device too.
        </p>
      }
      successTitle="Every device is signed out"
      success={
        <>
          <p>
            Every session of your account has ended. Whoever was signed in is out; if they know your
            password, they can sign in again until you change it.
          </p>
          <p>
            <Link to="/forgot-password" className="button">
              Reset your password
            </Link>
          </p>
        </>
      }
    />
  );
}
