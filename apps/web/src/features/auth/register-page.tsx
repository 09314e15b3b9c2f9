import { registerBodySchema } from '@portcullis/contract/auth';
import { PASSWORD_MIN_LENGTH_DEFAULT } from '@portcullis/contract/password-policy';
import { useId, useMemo, useState, type SubmitEvent } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { Page } from '../../components/page';
import { PasswordStrengthMeter } from '../../components/password-strength-meter';
import { TextField } from '../../components/text-field';
import { formErrorsFromApi, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { registerRequest } from './auth-api';
import { useAuth } from './auth-context';

type Field = 'name' | 'email' | 'password';
const fieldNames: readonly Field[] = ['name', 'email', 'password'];

// The schema built once: the server may require more, and then its field error says so.
const registerSchema = registerBodySchema();

export function RegisterPage() {
  const { state } = useAuth();
  const navigate = useNavigate();
  const idPrefix = useId();
  const fields = {
    name: { id: `${idPrefix}name`, label: 'Name' },
    email: { id: `${idPrefix}email`, label: 'Email' },
    password: { id: `${idPrefix}password`, label: 'Password' },
  };
  const strengthId = `${idPrefix}strength`;

  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { errors, attempt, fail } = useFormErrors<Field>();
  const [submitting, setSubmitting] = useState(false);
  const userInputs = useMemo(() => [name, email], [name, email]);

  if (state.status === 'authenticated') return <Navigate to="/notes" replace />;

  const submit = async () => {
    const validation = validateForm(registerSchema, { name, email, password });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      await registerRequest(validation.data);
      // The same page whether or not the address was new: the mail says which it was.
      await navigate('/check-inbox', { state: { email: validation.data.email } });
    } catch (error) {
      fail(formErrorsFromApi(error, fieldNames));
      setSubmitting(false);
    }
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!submitting) void submit();
  };

  return (
    <Page title="Create an account">
      <form className="form" noValidate onSubmit={handleSubmit} aria-label="Create an account">
        <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
        <TextField
          id={fields.name.id}
          label={fields.name.label}
          autoComplete="name"
          value={name}
          onChange={setName}
          error={errors.fields.name}
        />
        <TextField
          id={fields.email.id}
          label={fields.email.label}
          type="email"
          autoComplete="email"
          value={email}
          onChange={setEmail}
          error={errors.fields.email}
        />
        <TextField
          id={fields.password.id}
          label={fields.password.label}
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          error={errors.fields.password}
          hint={`Use at least ${PASSWORD_MIN_LENGTH_DEFAULT} characters. A few unrelated words make a strong, memorable password.`}
          describedBy={strengthId}
          after={
            <PasswordStrengthMeter id={strengthId} password={password} userInputs={userInputs} />
          }
        />
        <div className="button-row">
          <ActionButton type="submit" className="button" unavailable={submitting}>
            {submitting ? 'Creating account…' : 'Create account'}
          </ActionButton>
        </div>
      </form>
      <p className="form-footer">
        Already registered? <Link to="/sign-in">Sign in</Link>
      </p>
    </Page>
  );
}
