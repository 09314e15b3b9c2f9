import type { AdminUser } from '@portcullis/contract/admin';
import { roles, type Role } from '@portcullis/contract/roles';
import { useCallback, useRef, useState, type SubmitEvent } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorAlert, LoadFailed, Loading, StatusMessage } from '../../components/status-message';
import { formatDate, formatDateTime, formatTime, isSameDay } from '../../lib/format-date';
import { useCountdown } from '../../lib/use-countdown';
import {
  useCursorList,
  useFocusAfterLoadMore,
  type LoadCursorPage,
} from '../../lib/use-cursor-list';
import { useAuth, useCurrentUser } from '../auth/auth-context';
import { roleLabels } from '../auth/permissions';
import { AddUserForm } from './add-user-form';
import {
  listUsersPage,
  userActionRequest,
  updateUserRoleRequest,
  type UserFilters,
} from './admin-api';
import { UserActions, withoutLock } from './user-actions';
import { UserFiltersForm, userStatusLabels } from './user-filters-form';

const ROLE_COLUMN_ID = 'users-role-column';
const rowIdPrefix = 'user-row-';

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
  // A saved role (here or by a reload of the list) becomes the select's value. The editor is
  // not remounted for it: that would drop keyboard focus from the Save button just pressed.
  const [savedRole, setSavedRole] = useState<Role>(user.role);
  if (savedRole !== user.role) {
    setSavedRole(user.role);
    setRole(user.role);
  }
  const [busy, setBusy] = useState(false);
  const [confirmingAdmin, setConfirmingAdmin] = useState(false);
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
    if (busy || role === user.role) return;
    // Admin is the one role that can take every other role away: it is granted on a second look.
    if (role === 'admin') setConfirmingAdmin(true);
    else void save();
  };

  return (
    <form className="role-editor" onSubmit={handleSubmit}>
      <ConfirmDialog
        open={confirmingAdmin}
        title={`Make ${user.email} an administrator?`}
        confirmLabel="Make administrator"
        busyLabel="Saving…"
        busy={busy}
        error={undefined}
        onConfirm={() => {
          setConfirmingAdmin(false);
          void save();
        }}
        onCancel={() => {
          setConfirmingAdmin(false);
          setRole(user.role);
        }}
      >
        <p>
          {user.name} will be able to see every account and the audit log, change roles, and disable
          or delete any user, you included.
        </p>
      </ConfirmDialog>
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
      <ActionButton
        type="submit"
        className="button button--small"
        unavailable={busy || role === user.role}
        aria-label={`Save role for ${user.email}`}
      >
        {busy ? 'Saving…' : 'Save'}
      </ActionButton>
      {error !== undefined && (
        <p id={errorId} role="alert" className="field-error">
          {error}
        </p>
      )}
    </form>
  );
}

interface LockCellProps {
  user: AdminUser;
  onUnlocked: (user: AdminUser, message: string) => void;
}

/**
 * The account's sign-in lock as the server holds it, with its end, and the way out: an admin
 * unlocks (the server records who did, in the audit log). The cell takes focus after an unlock,
 * since the button that had it is gone.
 */
function LockCell({ user, onUnlocked }: LockCellProps) {
  const until = user.lockedUntil === null ? null : Date.parse(user.lockedUntil);
  // Re-renders while locked, so the cell clears itself when the lock runs out.
  const locked = useCountdown(until !== null && Number.isFinite(until) ? until : null) > 0;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const cellRef = useRef<HTMLTableCellElement>(null);
  const errorId = `user-${user.id}-unlock-error`;

  const unlock = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await userActionRequest(user.id, 'unlock');
      onUnlocked(withoutLock(user), `${user.email} is unlocked.`);
      cellRef.current?.focus();
    } catch (caught) {
      setError(userMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <td ref={cellRef} tabIndex={-1} className="lock-cell" data-label="Sign-in lock">
      {locked && user.lockedUntil !== null ? (
        <div className="lock-state">
          <span>
            Locked until{' '}
            <time dateTime={user.lockedUntil} title={formatDateTime(user.lockedUntil)}>
              {isSameDay(user.lockedUntil)
                ? formatTime(user.lockedUntil)
                : formatDateTime(user.lockedUntil)}
            </time>
          </span>
          <ActionButton
            className="button button--secondary button--small"
            unavailable={busy}
            aria-label={`Unlock ${user.email}`}
            aria-describedby={error === undefined ? undefined : errorId}
            onClick={() => {
              void unlock();
            }}
          >
            {busy ? 'Unlocking…' : 'Unlock'}
          </ActionButton>
          {error !== undefined && (
            <p id={errorId} role="alert" className="field-error">
              {error}
            </p>
          )}
        </div>
      ) : (
        'Not locked'
      )}
    </td>
  );
}

function StatusCell({ user }: { user: AdminUser }) {
  return (
    <td data-label="Status">
      <span className="status-badge" data-status={user.status}>
        {userStatusLabels[user.status]}
      </span>
      {user.mustResetPassword && <span className="status-note">Must reset password</span>}
    </td>
  );
}

export function UsersTable() {
  const currentUser = useCurrentUser();
  const { reload } = useAuth();
  const [filters, setFilters] = useState<UserFilters>({});
  const loadPage = useCallback<LoadCursorPage<AdminUser>>(
    (cursor, signal) => listUsersPage(filters, cursor, signal),
    [filters],
  );
  const users = useCursorList(loadPage);
  const [status, setStatus] = useState('');
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusAfterLoadMore(users.loadedMore, rowIdPrefix, headingRef);
  const filtered = Object.keys(filters).length > 0;

  const changed = (updated: AdminUser, message: string) => {
    users.replace(updated);
    setStatus(message);
  };

  return (
    <section className="panel" aria-labelledby="users-heading">
      <h2 id="users-heading" ref={headingRef} tabIndex={-1}>
        Users
      </h2>
      <AddUserForm
        onCreated={(message) => {
          setStatus(message);
          users.retry();
        }}
      />
      <UserFiltersForm applied={filters} onApply={setFilters} />
      <StatusMessage message={status} />
      {users.status === 'loading' && <Loading label="Loading users…" />}
      {users.status === 'error' && <LoadFailed error={users.error} onRetry={users.retry} />}
      {users.status === 'ready' && users.items.length === 0 && (
        <p className="empty">{filtered ? 'No user matches these filters.' : 'No users yet.'}</p>
      )}
      {users.items.length > 0 && (
        <div className="table-scroll" role="region" aria-labelledby="users-heading" tabIndex={0}>
          <table className="table table--cards">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col" id={ROLE_COLUMN_ID}>
                  Role
                </th>
                <th scope="col">Status</th>
                <th scope="col">Sign-in lock</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.items.map((user) => (
                <tr key={user.id} id={`${rowIdPrefix}${user.id}`} tabIndex={-1}>
                  <td data-label="User">
                    <span className="user-name">
                      {user.name}
                      {user.id === currentUser.id && <span className="you-badge"> (you)</span>}
                    </span>
                    <span id={`user-${user.id}-email`} className="email user-email">
                      {user.email}
                    </span>
                  </td>
                  <td data-label="Role">
                    <RoleEditor
                      user={user}
                      onSaved={(updated, message) => {
                        changed(updated, message);
                        // An admin who demoted themself must see the app as their new role.
                        if (updated.id === currentUser.id) reload();
                      }}
                    />
                  </td>
                  <StatusCell user={user} />
                  <LockCell user={user} onUnlocked={changed} />
                  <td data-label="Last sign-in">
                    {user.lastSignInAt === null ? (
                      'Never'
                    ) : (
                      <time dateTime={user.lastSignInAt}>{formatDateTime(user.lastSignInAt)}</time>
                    )}
                  </td>
                  <td data-label="Joined">
                    <time dateTime={user.createdAt}>{formatDate(user.createdAt)}</time>
                  </td>
                  <td className="actions-cell">
                    <UserActions
                      user={user}
                      isCurrentUser={user.id === currentUser.id}
                      onChanged={changed}
                      onDeleted={(deleted, message) => {
                        users.remove(deleted.id);
                        setStatus(message);
                        headingRef.current?.focus();
                      }}
                    />
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
          <ActionButton
            className="button button--secondary"
            onClick={users.loadMore}
            unavailable={users.loadingMore}
          >
            {users.loadingMore ? 'Loading…' : 'Load more users'}
          </ActionButton>
        </div>
      )}
    </section>
  );
}
