import { PASSWORD_MIN_LENGTH_DEFAULT } from '@portcullis/contract/password-policy';
import { changePasswordBodySchema } from '@portcullis/contract/profile';
import { useId, useMemo, useState, type SubmitEvent } from 'react';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { PasswordStrengthMeter } from '../../components/password-strength-meter';
import { StatusMessage } from '../../components/status-message';
import { CurrentPasswordField, TextField } from '../../components/text-field';
import { formErrorsFromApi, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { useCurrentUser } from '../auth/auth-context';
import { changePasswordRequest } from './profile-api';

type Field = 'currentPassword' | 'newPassword';
const fieldNames: readonly Field[] = ['currentPassword', 'newPassword'];

const changePasswordSchema = changePasswordBodySchema();

export function ChangePasswordForm() {
  const user = useCurrentUser();
  const idPrefix = useId();
  const headingId = `${idPrefix}heading`;
  const strengthId = `${idPrefix}strength`;
  const fields = {
    currentPassword: { id: `${idPrefix}current`, label: 'Current password' },
    newPassword: { id: `${idPrefix}new`, label: 'New password' },
  };

  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const { errors, attempt, fail, clear } = useFormErrors<Field>();
  const [submitting, setSubmitting] = useState(false);
  const [status, setStatus] = useState('');
  const userInputs = useMemo(() => [user.email, user.name], [user.email, user.name]);

  const submit = async () => {
    setStatus('');
    const validation = validateForm(changePasswordSchema, { currentPassword, newPassword });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      await changePasswordRequest(validation.data);
      setCurrentPassword('');
      setNewPassword('');
      clear();
      setStatus('Your password has been changed.');
    } catch (error) {
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
      <h2 id={headingId}>Change password</h2>
      <form className="form" noValidate onSubmit={handleSubmit} aria-labelledby={headingId}>
        <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
        <CurrentPasswordField
          email={user.email}
          id={fields.currentPassword.id}
          label={fields.currentPassword.label}
          value={currentPassword}
          onChange={setCurrentPassword}
          error={errors.fields.currentPassword}
        />
        <TextField
          id={fields.newPassword.id}
          label={fields.newPassword.label}
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onChange={setNewPassword}
          error={errors.fields.newPassword}
          hint={`Use at least ${PASSWORD_MIN_LENGTH_DEFAULT} characters.`}
          describedBy={strengthId}
          after={
            <PasswordStrengthMeter id={strengthId} password={newPassword} userInputs={userInputs} />
          }
        />
        <div className="button-row">
          <ActionButton type="submit" className="button" unavailable={submitting}>
            {submitting ? 'Changing password…' : 'Change password'}
          </ActionButton>
        </div>
        <StatusMessage message={status} />
      </form>
    </section>
  );
}
