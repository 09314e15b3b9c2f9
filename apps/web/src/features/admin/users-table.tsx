import type { AdminUser } from '@portcullis/contract/admin';
import { roles, type Role } from '@portcullis/contract/roles';
import { useState, type SubmitEvent } from 'react';
import { userMessage } from '../../api/api-error';
import { ErrorAlert, Loading, StatusMessage } from '../../components/status-message';
import { formatDate, formatDateTime } from '../../lib/format-date';
import { useCursorList } from '../../lib/use-cursor-list';
import { useAuth, useCurrentUser } from '../auth/auth-context';
import { roleLabels } from '../auth/permissions';
import { listUsersPage, updateUserRoleRequest } from './admin-api';

const ROLE_COLUMN_ID = 'users-role-column';

interface RoleEditorProps {
  user: AdminUser;
  onSaved: (user: AdminUser, message: string) => void;
}

/**
 * A select plus an explicit Save: changing a role on `change` alone would fire for every arrow
 * key press in some browsers, granting roles a keyboard user only skimmed past.
 */
function RoleEditor({ user, onSaved }: RoleEditorProps) {
  const [role, setRole] = useState<Role>(user.role);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const emailCellId = `user-${user.id}-email`;
  const errorId = `user-${user.id}-role-error`;

  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const updated = await updateUserRoleRequest(user.id, role);
      onSaved(
        { ...user, ...updated },
        `${updated.email} is now ${roleLabels[updated.role].toLowerCase()}.`,
      );
    } catch (caught) {
      setError(userMessage(caught));
      setRole(user.role);
    } finally {
      setBusy(false);
    }
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!busy && role !== user.role) void save();
  };

  return (
    <form className="role-editor" onSubmit={handleSubmit}>
      <select
        className="input select"
        // Labelled by the visible column header and the row's email: "Role, alice@example.com".
        aria-labelledby={`${ROLE_COLUMN_ID} ${emailCellId}`}
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={error === undefined ? undefined : errorId}
        value={role}
        onChange={(event) => {
          const next = roles.find((candidate) => candidate === event.target.value);
          if (next !== undefined) setRole(next);
        }}
      >
        {roles.map((candidate) => (
          <option key={candidate} value={candidate}>
            {roleLabels[candidate]}
          </option>
        ))}
      </select>
      <button
        type="submit"
        className="button button--small"
        disabled={busy || role === user.role}
        aria-label={`Save role for ${user.email}`}
      >
        {busy ? 'Saving…' : 'Save'}
      </button>
      {error !== undefined && (
        <p id={errorId} role="alert" className="field-error">
          {error}
        </p>
      )}
    </form>
  );
}

function lockedText(lockedUntil: string | null): string {
  if (lockedUntil === null || Date.parse(lockedUntil) <= Date.now()) return 'No';
  return `Until ${formatDateTime(lockedUntil)}`;
}

export function UsersTable() {
  const currentUser = useCurrentUser();
  const { reload } = useAuth();
  const users = useCursorList(listUsersPage);
  const [status, setStatus] = useState('');

  return (
    <section className="panel" aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <StatusMessage message={status} />
      {users.status === 'loading' && <Loading label="Loading users…" />}
      {users.status === 'error' && (
        <ErrorAlert message={userMessage(users.error)}>
          <button type="button" className="button" onClick={users.retry}>
            Try again
          </button>
        </ErrorAlert>
      )}
      {users.items.length > 0 && (
        <div className="table-scroll" role="region" aria-labelledby="users-heading" tabIndex={0}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col" id={ROLE_COLUMN_ID}>
                  Role
                </th>
                <th scope="col">Locked</th>
                <th scope="col">Joined</th>
              </tr>
            </thead>
            <tbody>
              {users.items.map((user) => (
                <tr key={user.id}>
                  <td>
                    {user.name}
                    {user.id === currentUser.id && <span className="you-badge"> (you)</span>}
                  </td>
                  <td id={`user-${user.id}-email`}>{user.email}</td>
                  <td>
                    <RoleEditor
                      // A new editor after each save, so its select starts from the saved role.
                      key={`${user.id}-${user.role}`}
                      user={user}
                      onSaved={(updated, message) => {
                        users.replace(updated);
                        setStatus(message);
                        // An admin who demoted themself must see the app as their new role.
                        if (updated.id === currentUser.id) reload();
                      }}
                    />
                  </td>
                  <td>{lockedText(user.lockedUntil)}</td>
                  <td>
                    <time dateTime={user.createdAt}>{formatDate(user.createdAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {users.moreError !== undefined && <ErrorAlert message={userMessage(users.moreError)} />}
      {users.nextCursor !== null && (
        <div className="button-row">
          <button
            type="button"
            className="button button--secondary"
            onClick={users.loadMore}
            disabled={users.loadingMore}
          >
            {users.loadingMore ? 'Loading…' : 'Load more users'}
          </button>
        </div>
      )}
    </section>
  );
}
