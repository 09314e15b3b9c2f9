import { acceptInviteBodySchema } from '@portcullis/contract/account';
import { useNavigate } from 'react-router';
import type { SignInNotice } from '../auth/sign-in-notice';
import { acceptInviteRequest } from './account-api';
import { SetPasswordFromLink } from './set-password-from-link';

const newPasswordSchema = acceptInviteBodySchema().omit({ token: true });

/**
 * /accept-invite#token=…, from the invitation an admin had mailed: the invitee chooses a first
 * password, which also proves the address is theirs. Nobody is signed in by it: the sign-in that
 * follows is an ordinary one, with the password just chosen.
 */
export function AcceptInvitePage() {
  const navigate = useNavigate();

  const onDone = async () => {
    const notice: SignInNotice = { notice: 'invitation-accepted' };
    await navigate('/sign-in', { state: notice, replace: true });
  };

  return (
    <SetPasswordFromLink
      title="Accept your invitation"
      lead="You have been invited to Portcullis. Choose a password to finish setting up your account."
      submitLabel="Set password"
      schema={newPasswordSchema}
      request={acceptInviteRequest}
      onDone={onDone}
      whenUnusable={
        <p>
          Invitations work once and expire. Ask the administrator who invited you for a new one.
        </p>
      }
    />
  );
}
