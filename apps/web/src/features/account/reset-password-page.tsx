import { resetPasswordBodySchema } from '@portcullis/contract/account';
import { PASSWORD_MIN_LENGTH_DEFAULT } from '@portcullis/contract/password-policy';
import { useId, useState, type SubmitEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { Page } from '../../components/page';
import { PasswordStrengthMeter } from '../../components/password-strength-meter';
import { TextField } from '../../components/text-field';
import {
  formErrorsFromApi,
  noFormErrors,
  validateForm,
  type FormErrors,
} from '../../lib/form-errors';
import { useAuth } from '../auth/auth-context';
import type { SignInNotice } from '../auth/sign-in-notice';
import { resetPasswordRequest } from './account-api';
import { LinkProblem } from './link-problem';
import { useLinkToken } from './link-token';

type Field = 'newPassword';
const fieldNames: readonly Field[] = ['newPassword'];

// The contract's schema less the token, which was checked when the page opened.
const newPasswordSchema = resetPasswordBodySchema().omit({ token: true });

/** Nothing personal is known before the reset: the meter judges the password on its own. */
const noUserInputs: readonly string[] = [];

function UnusableLink({ message }: { message: string }) {
  return (
    <Page title="Choose a new password">
      <LinkProblem message={message}>
        <p>
          <Link to="/forgot-password">Ask for a new link</Link>
        </p>
      </LinkProblem>
    </Page>
  );
}

/** /reset-password#token=…, from the reset mail: a new password under the full policy. */
export function ResetPasswordPage() {
  const { afterSessionsRevoked } = useAuth();
  const navigate = useNavigate();
  const linkToken = useLinkToken();
  const idPrefix = useId();
  const strengthId = `${idPrefix}strength`;
  const fields = { newPassword: { id: `${idPrefix}new`, label: 'New password' } };

  const [newPassword, setNewPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(noFormErrors);
  const [attempt, setAttempt] = useState(0);
  const [submitting, setSubmitting] = useState(false);
  /** Set when the server refused the link itself: the form has nothing left to do. */
  const [linkRefused, setLinkRefused] = useState<string | undefined>();

  if (!linkToken.ok) return <UnusableLink message={linkToken.problem} />;
  if (linkRefused !== undefined) return <UnusableLink message={linkRefused} />;
  const { token } = linkToken;

  const fail = (next: FormErrors<Field>) => {
    setErrors(next);
    setAttempt((value) => value + 1);
  };

  const submit = async () => {
    const validation = validateForm(newPasswordSchema, { newPassword });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      await resetPasswordRequest({ token, ...validation.data });
    } catch (error) {
      setSubmitting(false);
      if (error instanceof ApiError && error.code === 'invalid_token') {
        setLinkRefused(error.message);
      } else {
        fail(formErrorsFromApi(error, fieldNames));
      }
      return;
    }
    try {
      // Every session of the account ended, this browser's too if it had one.
      await afterSessionsRevoked();
    } catch {
      // The password is changed all the same; the next request here finds the session gone.
    }
    const notice: SignInNotice = { notice: 'password-changed' };
    await navigate('/sign-in', { state: notice, replace: true });
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!submitting) void submit();
  };

  return (
    <Page title="Choose a new password">
      <p className="lead">
        Choose a new password for your account. Every device signed in to it will be signed out.
      </p>
      <form className="form" noValidate onSubmit={handleSubmit} aria-label="Choose a new password">
        <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
        <TextField
          id={fields.newPassword.id}
          label={fields.newPassword.label}
          type="password"
          autoComplete="new-password"
          value={newPassword}
          onChange={setNewPassword}
          error={errors.fields.newPassword}
          hint={`Use at least ${PASSWORD_MIN_LENGTH_DEFAULT} characters. A few unrelated words make a strong, memorable password.`}
          describedBy={strengthId}
          after={
            <PasswordStrengthMeter
              id={strengthId}
              password={newPassword}
              userInputs={noUserInputs}
            />
          }
        />
        <div className="button-row">
          <ActionButton type="submit" className="button" unavailable={submitting}>
            {submitting ? 'Saving…' : 'Save new password'}
          </ActionButton>
        </div>
      </form>
    </Page>
  );
}
