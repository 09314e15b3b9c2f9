import { deleteAccountBodySchema } from '@portcullis/contract/security';
import { useId, useRef, useState, type SubmitEvent } from 'react';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { CurrentPasswordField } from '../../components/text-field';
import {
  formErrorsFromApi,
  noFormErrors,
  validateForm,
  type FormErrors,
} from '../../lib/form-errors';
import { useAuth, useCurrentUser } from '../auth/auth-context';
import { deleteAccountRequest } from './security-api';

type Field = 'password';
const fieldNames: readonly Field[] = ['password'];

/**
 * Deletion asks for the password again (OWASP ASVS 3.7.1: re-authenticate before a sensitive
 * change), so a session left open on a shared computer cannot erase the account.
 */
export function DeleteAccountPanel() {
  const user = useCurrentUser();
  const { afterAccountDeleted } = useAuth();
  const idPrefix = useId();
  const passwordId = `${idPrefix}password`;
  const formId = `${idPrefix}form`;
  const passwordRef = useRef<HTMLInputElement>(null);
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(noFormErrors);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setOpen(false);
    setPassword('');
    setErrors(noFormErrors());
  };

  const confirm = async () => {
    const validation = validateForm(deleteAccountBodySchema, { password });
    if (!validation.ok) {
      setErrors(validation.errors);
      passwordRef.current?.focus();
      return;
    }
    setBusy(true);
    setErrors(noFormErrors());
    try {
      await deleteAccountRequest(validation.data);
    } catch (error) {
      setPassword('');
      setErrors(formErrorsFromApi(error, fieldNames));
      setBusy(false);
      passwordRef.current?.focus();
      return;
    }
    // The guard of this page now sends the browser to sign-in, which says why.
    afterAccountDeleted();
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!busy) void confirm();
  };

  return (
    <section className="panel panel--danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p>
        Deleting your account removes your profile and notes and signs you out everywhere. It cannot
        be undone.
      </p>
      <div className="button-row">
        <button
          type="button"
          className="button button--danger-outline"
          onClick={() => {
            setOpen(true);
          }}
        >
          Delete my account…
        </button>
      </div>
      <ConfirmDialog
        open={open}
        title="Delete your account?"
        confirmLabel="Delete my account"
        busyLabel="Deleting your account…"
        busy={busy}
        error={errors.form[0]}
        initialFocusRef={passwordRef}
        confirmForm={formId}
        onConfirm={() => {
          if (!busy) void confirm();
        }}
        onCancel={close}
        controls={
          <form id={formId} className="form" noValidate onSubmit={handleSubmit}>
            <CurrentPasswordField
              email={user.email}
              id={passwordId}
              inputRef={passwordRef}
              label="Your password"
              value={password}
              onChange={setPassword}
              error={errors.fields.password}
            />
          </form>
        }
      >
        <p>
          Your profile, notes and sessions for <strong>{user.email}</strong> will be deleted and you
          will be signed out on every device. Enter your password to confirm.
        </p>
      </ConfirmDialog>
    </section>
  );
}
