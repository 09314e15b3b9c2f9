import { Link } from 'react-router';
import { Page } from '../../components/page';
import { formatDate } from '../../lib/format-date';
import { useCurrentUser } from '../auth/auth-context';
import { canEditProfile, roleLabels } from '../auth/permissions';
import { ChangeEmailForm } from './change-email-form';
import { ChangePasswordForm } from './change-password-form';
import { EditNameForm } from './edit-name-form';

export function ProfilePage() {
  const user = useCurrentUser();
  return (
    <Page title="Profile">
      <section className="panel" aria-labelledby="account-heading">
        <h2 id="account-heading">Account</h2>
        <dl className="details">
          <div>
            <dt>Name</dt>
            <dd>{user.name}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{user.email}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{roleLabels[user.role]}</dd>
          </div>
          <div>
            <dt>Member since</dt>
            <dd>
              <time dateTime={user.createdAt}>{formatDate(user.createdAt)}</time>
            </dd>
          </div>
        </dl>
        <p className="panel-link">
          <Link to="/profile/security">
            Security: where you are signed in, activity and your data
          </Link>
        </p>
      </section>
      {canEditProfile(user.role) ? (
        <EditNameForm />
      ) : (
        <p className="notice">Your role is guest: you cannot change your name.</p>
      )}
      <ChangeEmailForm />
      <ChangePasswordForm />
    </Page>
  );
}
