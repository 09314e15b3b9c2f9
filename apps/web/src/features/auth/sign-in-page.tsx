import { loginBodySchema } from '@portcullis/contract/auth';
import { useId, useState, type SubmitEvent } from 'react';
import { Link, Navigate, useLocation, useSearchParams } from 'react-router';
import { ApiError, messageForCode, waitMessageFor } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
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
import { formatCountdown, useCountdown } from '../../lib/use-countdown';
import { useAuth } from './auth-context';
import { readSignInNotice, signInNoticeMessages } from './sign-in-notice';

type Field = 'email' | 'password';
const fieldNames: readonly Field[] = ['email', 'password'];

/** A refusal that came with a wait (Retry-After): sign-in is paused until it is over. */
interface Pause {
  /** "Too many sign-in attempts.", from the error catalogue's wait messages. */
  lead: string;
  /** Milliseconds since the epoch. */
  until: number;
}

function pauseFrom(error: unknown): Pause | null {
  if (!(error instanceof ApiError) || error.retryAfterSeconds === undefined) return null;
  const lead = waitMessageFor(error.code);
  if (lead === undefined) return null;
  return { lead, until: Date.now() + error.retryAfterSeconds * 1000 };
}

function PauseMessage({
  id,
  pause,
  secondsLeft,
  email,
}: {
  id: string;
  pause: Pause;
  secondsLeft: number;
  email: string;
}) {
  return (
    <>
      <span id={id}>
        {pause.lead}{' '}
        {secondsLeft > 0 ? (
          <>
            Try again in{' '}
            {/* A timer is not live: the summary announced the wait once, not every second. */}
            <span role="timer" aria-live="off">
              {formatCountdown(secondsLeft)}
            </span>
            .
          </>
        ) : (
          'You can try again now.'
        )}
      </span>{' '}
      {/* The owner locked out by someone else's guesses gets in at once with a reset (ADR 005). */}
      <ForgotPasswordLink email={email} />
    </>
  );
}

/**
 * An admin forced a reset: even the right password is refused until the password is reset through
 * the mailed link, so the message offers a new link in case that mail is lost.
 */
function ResetRequiredMessage({ email }: { email: string }) {
  return (
    <>
      {messageForCode('password_reset_required')} No mail?{' '}
      <Link to="/forgot-password" state={email.trim() === '' ? null : { email: email.trim() }}>
        Send a new reset link
      </Link>
    </>
  );
}

/** The address typed so far travels in history state, never in the URL (or a log). */
function ForgotPasswordLink({ email }: { email: string }) {
  return (
    <Link to="/forgot-password" state={email.trim() === '' ? null : { email: email.trim() }}>
      Forgot password?
    </Link>
  );
}

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
  const pauseId = `${idPrefix}pause`;

  const [email, setEmail] = useState(notice?.email ?? '');
  const [password, setPassword] = useState('');
  // Unticked by default: on a shared computer the session must not outlive the browser unasked.
  const [remember, setRemember] = useState(false);
  const [resetRequired, setResetRequired] = useState(false);
  const [errors, setErrors] = useState<FormErrors<Field>>(noFormErrors);
  const [attempt, setAttempt] = useState(0);
  const [submitting, setSubmitting] = useState(false);
  const [pause, setPause] = useState<Pause | null>(null);
  const [lastAttempt, setLastAttempt] = useState(false);
  const secondsLeft = useCountdown(pause?.until ?? null);
  const paused = pause !== null && secondsLeft > 0;

  if (state.status === 'authenticated') {
    // An unconfirmed address gets nowhere else yet: straight to the page that says why.
    if (!state.user.emailVerified) return <Navigate to="/check-inbox" replace />;
    return <Navigate to={safeNextPath(searchParams.get('next')) ?? '/notes'} replace />;
  }

  const fail = (next: FormErrors<Field>) => {
    setErrors(next);
    setAttempt((value) => value + 1);
  };

  const submit = async () => {
    const validation = validateForm(loginBodySchema, { email, password });
    if (!validation.ok) {
      setPause(null);
      setResetRequired(false);
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      // On success the auth state changes and the redirect above takes over.
      await signIn({ ...validation.data, remember });
    } catch (error) {
      setPassword('');
      const next = pauseFrom(error);
      const mustReset = error instanceof ApiError && error.code === 'password_reset_required';
      setPause(next);
      setResetRequired(mustReset);
      setLastAttempt(error instanceof ApiError && error.attemptsRemaining === 1);
      fail(next === null && !mustReset ? formErrorsFromApi(error, fieldNames) : noFormErrors());
      setSubmitting(false);
    }
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    // While paused the server would refuse even the right password, so nothing is sent.
    if (!submitting && !paused) void submit();
  };

  return (
    <Page title="Sign in">
      {notice?.notice !== undefined && (
        <p role="status" className="notice">
          {signInNoticeMessages[notice.notice]}
        </p>
      )}
      <form className="form" noValidate onSubmit={handleSubmit} aria-label="Sign in">
        <ErrorSummary
          errors={errors}
          fields={fields}
          attempt={attempt}
          leading={
            pause !== null ? (
              <PauseMessage id={pauseId} pause={pause} secondsLeft={secondsLeft} email={email} />
            ) : resetRequired ? (
              <ResetRequiredMessage email={email} />
            ) : lastAttempt ? (
              <>
                One attempt left: after another wrong password, sign-in pauses for a while.{' '}
                <ForgotPasswordLink email={email} />
              </>
            ) : undefined
          }
        />
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
        <p className="field-aside">
          <ForgotPasswordLink email={email} />
        </p>
        <div className="checkbox-field">
          <input
            id={`${idPrefix}remember`}
            type="checkbox"
            className="checkbox"
            checked={remember}
            onChange={(event) => {
              setRemember(event.target.checked);
            }}
            aria-describedby={`${idPrefix}remember-hint`}
          />
          <label htmlFor={`${idPrefix}remember`}>Keep me signed in on this device</label>
          <p id={`${idPrefix}remember-hint`} className="field-hint">
            Leave this unticked on a shared or public computer: you are then signed out when the
            browser closes.
          </p>
        </div>
        <div className="button-row">
          <ActionButton
            type="submit"
            className="button"
            unavailable={submitting || paused}
            aria-describedby={paused ? pauseId : undefined}
          >
            {submitting ? 'Signing in…' : 'Sign in'}
          </ActionButton>
        </div>
      </form>
      <p className="form-footer">
        New here? <Link to="/register">Create an account</Link>
      </p>
    </Page>
  );
}
