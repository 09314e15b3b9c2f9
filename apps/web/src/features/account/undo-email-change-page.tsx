import { Link } from 'react-router';
import { undoEmailChangeRequest } from './account-api';
import { ActOnLink } from './act-on-link';

/** /undo-email-change#token=…, from the notice sent to the previous address. */
export function UndoEmailChangePage() {
  return (
    <ActOnLink
      title="Undo the email change"
      intro={
        <p className="lead">
          The email address of your account was changed. If you did not do this, undo it: your
          previous address comes back, and every device signed in to your account is signed out.
        </p>
      }
      actionLabel="Undo the change"
      busyLabel="Undoing…"
      request={undoEmailChangeRequest}
      otherwise={<p>The link works once, for 72 hours after the change.</p>}
      successTitle="Your address was restored"
      success={
        <>
          <p>
            Your address was restored and every session signed out. Sign in, and change your
            password if you did not make this change.
          </p>
          <ul className="link-list">
            <li>
              <Link to="/sign-in">Sign in</Link>
            </li>
            <li>
              <Link to="/forgot-password">Reset your password</Link>
            </li>
          </ul>
        </>
      }
    />
  );
}
