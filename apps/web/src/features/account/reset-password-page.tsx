import { resetPasswordBodySchema } from '@portcullis/contract/account';
import { Link, useNavigate } from 'react-router';
import { useAuth } from '../auth/auth-context';
import type { SignInNotice } from '../auth/sign-in-notice';
import { resetPasswordRequest } from './account-api';
import { SetPasswordFromLink } from './set-password-from-link';

const newPasswordSchema = resetPasswordBodySchema().omit({ token: true });

/** /reset-password#token=…, from the reset mail: a new password under the full policy. */
export function ResetPasswordPage() {
  const { afterSessionsRevoked } = useAuth();
  const navigate = useNavigate();

  const onDone = async () => {
    try {
      // Every session of the account ended, this browser's too if it had one.
      await afterSessionsRevoked();
    } catch {
      // The password is changed all the same; the next request here finds the session gone.
    }
    const notice: SignInNotice = { notice: 'password-changed' };
    await navigate('/sign-in', { state: notice, replace: true });
  };

  return (
    <SetPasswordFromLink
      title="Choose a new password"
      lead="Choose a new password for your account. Every device signed in to it will be signed out."
      submitLabel="Save new password"
      schema={newPasswordSchema}
      request={resetPasswordRequest}
      onDone={onDone}
      whenUnusable={
        <p>
          <Link to="/forgot-password">Ask for a new link</Link>
        </p>
      }
    />
  );
}
