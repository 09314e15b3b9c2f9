import type { AdminUser, AdminUserAction } from '@portcullis/contract/admin';
import { useRef, useState } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { deleteUserRequest, userActionRequest } from './admin-api';

/** The row once its sign-in lock is cleared. */
export function withoutLock(user: AdminUser): AdminUser {
  const status =
    user.status === 'locked' ? (user.emailVerified ? 'active' : 'unverified') : user.status;
  return { ...user, lockedUntil: null, status };
}

/** What each action changes on the row, so the list need not be read again after it. */
function afterAction(user: AdminUser, action: AdminUserAction): AdminUser {
  switch (action) {
    case 'disable':
      return { ...user, status: 'disabled', disabledAt: new Date().toISOString() };
    case 'enable': {
      const locked = user.lockedUntil !== null && Date.parse(user.lockedUntil) > Date.now();
      const status = locked ? 'locked' : user.emailVerified ? 'active' : 'unverified';
      return { ...user, status, disabledAt: null };
    }
    case 'unlock':
      return withoutLock(user);
    case 'force-password-reset':
      return { ...user, mustResetPassword: true };
    case 'sign-out':
    case 'resend-verification':
    case 'reset-factors':
      return user;
  }
}

const doneMessages: Record<AdminUserAction, (email: string) => string> = {
  disable: (email) => `${email} is disabled and signed out everywhere.`,
  enable: (email) => `${email} is enabled.`,
  unlock: (email) => `${email} is unlocked.`,
  'sign-out': (email) => `${email} is signed out everywhere.`,
  'force-password-reset': (email) =>
    `${email} must reset their password at the next sign-in; a reset link was mailed.`,
  'resend-verification': (email) => `A new confirmation link was sent to ${email}.`,
  'reset-factors': (email) =>
    `${email}'s authenticator app, passkeys and recovery codes are removed; they were told by mail.`,
};

interface UserActionsProps {
  user: AdminUser;
  isCurrentUser: boolean;
  onChanged: (user: AdminUser, message: string) => void;
  onDeleted: (user: AdminUser, message: string) => void;
}

interface Offered {
  action: AdminUserAction;
  label: string;
}

/**
 * The row's actions behind one disclosure, so a row stays one line on a desktop and a short card
 * on a phone. Each button names its user for screen readers, who hear it without the row around it.
 * An admin's own row offers no disable, sign-out or delete: those belong on their Security page.
 */
export function UserActions({ user, isCurrentUser, onChanged, onDeleted }: UserActionsProps) {
  const detailsRef = useRef<HTMLDetailsElement>(null);
  const summaryRef = useRef<HTMLElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [deleteError, setDeleteError] = useState<string | undefined>();
  const errorId = `user-${user.id}-action-error`;

  const offered: Offered[] = [
    ...(isCurrentUser
      ? []
      : [
          user.status === 'disabled'
            ? { action: 'enable' as const, label: 'Enable' }
            : { action: 'disable' as const, label: 'Disable' },
          { action: 'sign-out' as const, label: 'Sign out everywhere' },
        ]),
    ...(user.mustResetPassword
      ? []
      : [{ action: 'force-password-reset' as const, label: 'Force password reset' }]),
    ...(user.emailVerified
      ? []
      : [{ action: 'resend-verification' as const, label: 'Resend confirmation link' }]),
    ...(isCurrentUser ? [] : [{ action: 'reset-factors' as const, label: 'Reset second factors' }]),
  ];

  const collapse = () => {
    if (detailsRef.current !== null) detailsRef.current.open = false;
    // The button pressed is hidden with the menu; its summary is where the user was.
    summaryRef.current?.focus();
  };

  const run = async (action: AdminUserAction) => {
    setBusy(true);
    setError(undefined);
    try {
      await userActionRequest(user.id, action);
      onChanged(afterAction(user, action), doneMessages[action](user.email));
      collapse();
    } catch (caught) {
      setError(userMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setDeleteError(undefined);
    try {
      await deleteUserRequest(user.id);
      setConfirmingDelete(false);
      onDeleted(user, `${user.email} was deleted.`);
    } catch (caught) {
      setDeleteError(userMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <details ref={detailsRef} className="row-actions">
        <summary ref={summaryRef} className="button button--secondary button--small">
          Actions<span className="visually-hidden"> for {user.email}</span>
        </summary>
        <ul className="row-actions-list">
          {offered.map(({ action, label }) => (
            <li key={action}>
              <ActionButton
                className="button button--secondary button--small"
                unavailable={busy}
                aria-describedby={error === undefined ? undefined : errorId}
                onClick={() => {
                  void run(action);
                }}
              >
                {label}
                <span className="visually-hidden"> {user.email}</span>
              </ActionButton>
            </li>
          ))}
          {!isCurrentUser && (
            <li>
              <ActionButton
                className="button button--danger-outline button--small"
                unavailable={busy}
                onClick={() => {
                  setDeleteError(undefined);
                  setConfirmingDelete(true);
                }}
              >
                Delete…<span className="visually-hidden"> {user.email}</span>
              </ActionButton>
            </li>
          )}
        </ul>
        {error !== undefined && (
          <p id={errorId} role="alert" className="field-error">
            {error}
          </p>
        )}
      </details>
      <ConfirmDialog
        open={confirmingDelete}
        title={`Delete ${user.email}?`}
        confirmLabel="Delete user"
        busy={busy}
        error={deleteError}
        onConfirm={() => {
          if (!busy) void remove();
        }}
        onCancel={() => {
          setConfirmingDelete(false);
        }}
      >
        <p>
          The account of {user.name}, with its notes and sessions, is deleted for good. They are
          signed out everywhere.
        </p>
      </ConfirmDialog>
    </>
  );
}
