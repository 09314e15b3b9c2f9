import { loginBodySchema } from '@portcullis/contract/auth';
import { useId, useState, type SubmitEvent } from 'react';
import { Link, Navigate, useLocation, useSearchParams } from 'react-router';
import { ErrorSummary } from '../../components/error-summary';
import { Page } from '../../components/page';
import { TextField } from '../../components/text-field';
import {
  formErrorsFromApi,
  noFormErrors,
  validateForm,
  type FormErrors,
} from '../../lib/form-errors';
import { safeNextPath } from '../../lib/safe-redirect';
import { useAuth } from './auth-context';
import { readSignInNotice, signInNoticeMessages } from './sign-in-notice';

type Field = 'email' | 'password';
const fieldNames: readonly Field[] = ['email', 'password'];

export function SignInPage() {
  const { state, signIn } = useAuth();
  const location = useLocation();
  const [searchParams] = useSearchParams();
  const notice = readSignInNotice(location.state);
  const idPrefix = useId();
  const fields = {
    email: { id: `${idPrefix}email`, label: 'Email' },
    password: { id: `${idPrefix}password`, label: 'Password' },
  };

  const [email, setEmail] = useState(notice?.email ?? '');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(noFormErrors);
  const [attempt, setAttempt] = useState(0);
  const [submitting, setSubmitting] = useState(false);

  if (state.status === 'authenticated') {
    return <Navigate to={safeNextPath(searchParams.get('next')) ?? '/notes'} replace />;
  }

  const fail = (next: FormErrors<Field>) => {
    setErrors(next);
    setAttempt((value) => value + 1);
  };

  const submit = async () => {
    const validation = validateForm(loginBodySchema, { email, password });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      // On success the auth state changes and the redirect above takes over.
      await signIn(validation.data);
    } catch (error) {
      setPassword('');
      fail(formErrorsFromApi(error, fieldNames));
      setSubmitting(false);
    }
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!submitting) void submit();
  };

  return (
    <Page title="Sign in">
      {notice !== undefined && (
        <p role="status" className="notice">
          {signInNoticeMessages[notice.notice]}
        </p>
      )}
      <form className="form" noValidate onSubmit={handleSubmit} aria-label="Sign in">
        <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
        <TextField
          id={fields.email.id}
          label={fields.email.label}
          type="email"
          autoComplete="username"
          value={email}
          onChange={setEmail}
          error={errors.fields.email}
        />
        <TextField
          id={fields.password.id}
          label={fields.password.label}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          error={errors.fields.password}
        />
        <div className="button-row">
          <button type="submit" className="button" disabled={submitting}>
            {submitting ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
      <p className="form-footer">
        New here? <Link to="/register">Create an account</Link>
      </p>
    </Page>
  );
}
