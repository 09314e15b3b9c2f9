import { useState } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { useAuth } from './auth-context';

/**
 * Sign-out is a POST with the CSRF token, never a GET link: a link could be triggered by another
 * site (an <img src>) to sign the user out against their will.
 */
export function SignOutButton() {
  const { signOut } = useAuth();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const handleClick = async () => {
    setBusy(true);
    setError(undefined);
    try {
      // On success the guard of the current page sends the user to sign-in.
      await signOut();
    } catch (caught) {
      setError(userMessage(caught));
      setBusy(false);
    }
  };

  return (
    <>
      <ActionButton
        className="button button--secondary button--small"
        unavailable={busy}
        onClick={() => {
          void handleClick();
        }}
      >
        {busy ? 'Signing out…' : 'Sign out'}
      </ActionButton>
      {error !== undefined && (
        <p role="alert" className="header-error">
          {error}
        </p>
      )}
    </>
  );
}
