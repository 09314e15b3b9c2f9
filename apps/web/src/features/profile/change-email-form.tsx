import { changeEmailBodySchema } from '@portcullis/contract/account';
import { useId, useState, type SubmitEvent } from 'react';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { StatusMessage } from '../../components/status-message';
import { CurrentPasswordField, TextField } from '../../components/text-field';
import { formErrorsFromApi, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { changeEmailRequest } from '../account/account-api';
import { useCurrentUser } from '../auth/auth-context';

type Field = 'newEmail' | 'currentPassword';
const fieldNames: readonly Field[] = ['newEmail', 'currentPassword'];

/**
 * Moving the account to another address: the password first (someone at an unlocked screen must
 * not take the account over), then a link to the new address. Nothing changes until it is
 * followed, and the old address is then told, with a link to undo.
 */
export function ChangeEmailForm() {
  const user = useCurrentUser();
  const idPrefix = useId();
  const headingId = `${idPrefix}heading`;
  const fields = {
    newEmail: { id: `${idPrefix}email`, label: 'New email address' },
    currentPassword: { id: `${idPrefix}password`, label: 'Current password' },
  };

  const [newEmail, setNewEmail] = useState('');
  const [currentPassword, setCurrentPassword] = useState('');
  const { errors, attempt, fail, clear } = useFormErrors<Field>();
  const [submitting, setSubmitting] = useState(false);
  const [status, setStatus] = useState('');

  const submit = async () => {
    setStatus('');
    const validation = validateForm(changeEmailBodySchema, { newEmail, currentPassword });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      await changeEmailRequest(validation.data);
      setNewEmail('');
      setCurrentPassword('');
      clear();
      setStatus(
        `We sent a link to ${validation.data.newEmail}. Your address changes when you follow it; until then it stays ${user.email}.`,
      );
    } catch (error) {
      setCurrentPassword('');
      fail(formErrorsFromApi(error, fieldNames));
    } finally {
      setSubmitting(false);
    }
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!submitting) void submit();
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Change email address</h2>
      <form className="form" noValidate onSubmit={handleSubmit} aria-labelledby={headingId}>
        <p>
          Your address is <strong className="email">{user.email}</strong>. We will send a link to
          the new one; your address changes when you follow it.
        </p>
        <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
        <TextField
          id={fields.newEmail.id}
          label={fields.newEmail.label}
          type="email"
          autoComplete="email"
          value={newEmail}
          onChange={setNewEmail}
          error={errors.fields.newEmail}
        />
        <CurrentPasswordField
          email={user.email}
          id={fields.currentPassword.id}
          label={fields.currentPassword.label}
          value={currentPassword}
          onChange={setCurrentPassword}
          error={errors.fields.currentPassword}
        />
        <div className="button-row">
          <ActionButton type="submit" className="button" unavailable={submitting}>
            {submitting ? 'Sending link…' : 'Change email address'}
          </ActionButton>
        </div>
        <StatusMessage message={status} />
      </form>
    </section>
  );
}
