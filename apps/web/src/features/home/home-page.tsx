import { Link, Navigate } from 'react-router';
import { Page } from '../../components/page';
import { Loading } from '../../components/status-message';
import { useAuth } from '../auth/auth-context';
import { canAdminister, canWriteNotes, roleLabels } from '../auth/permissions';

export function HomePage() {
  const { state } = useAuth();
  if (state.status === 'loading') return <Loading />;

  if (state.status !== 'authenticated') {
    return (
      <Page title="Welcome to Portcullis">
        <p className="lead">Private notes behind a well-guarded gate.</p>
        <div className="button-row">
          <Link to="/sign-in" className="button">
            Sign in
          </Link>
          <Link to="/register" className="button button--secondary">
            Create an account
          </Link>
        </div>
      </Page>
    );
  }

  const { user } = state;
  if (!user.emailVerified) return <Navigate to="/check-inbox" replace />;
  return (
    <Page title={`Hello, ${user.name}`}>
      <p className="lead">
        You are signed in as {user.email} with the {roleLabels[user.role].toLowerCase()} role.
      </p>
      <ul className="card-list">
        <li className="card">
          <h2 className="card-title">
            <Link to="/notes">Notes</Link>
          </h2>
          <p>
            {canWriteNotes(user.role)
              ? 'Write, edit and delete your notes.'
              : 'Read your notes. Your role cannot write them.'}
          </p>
        </li>
        <li className="card">
          <h2 className="card-title">
            <Link to="/secure-data">Secure data</Link>
          </h2>
          <p>See what the server tells only signed-in users.</p>
        </li>
        <li className="card">
          <h2 className="card-title">
            <Link to="/profile">Profile</Link>
          </h2>
          <p>Change your name, email address or password.</p>
        </li>
        {canAdminister(user.role) && (
          <li className="card">
            <h2 className="card-title">
              <Link to="/admin">Admin</Link>
            </h2>
            <p>Manage roles and read the audit log.</p>
          </li>
        )}
      </ul>
    </Page>
  );
}
