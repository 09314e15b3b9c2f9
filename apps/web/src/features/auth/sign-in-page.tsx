import { loginBodySchema } from '@portcullis/contract/auth';
import type { SecondFactorMethod } from '@portcullis/contract/second-factors';
import { lazy, useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { Link, Navigate, useLocation, useSearchParams } from 'react-router';
import { ApiError, messageForCode, waitMessageFor } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { Page } from '../../components/page';
import { TextField } from '../../components/text-field';
import { formErrorsFromApi, noFormErrors, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { failureMessage } from '../../lib/failure-message';
import { safeNextPath } from '../../lib/safe-redirect';
import { formatCountdown, useCountdown } from '../../lib/use-countdown';
import type { SignInOutcome } from './auth-api';
import { useAuth } from './auth-context';

// Only accounts with a second factor reach this step: its code stays out of the first page.
const SecondFactorStep = lazy(async () => ({
  default: (await import('./second-factor-step')).SecondFactorStep,
}));
import { readSignInNotice, signInNoticeMessages } from './sign-in-notice';
import { ProviderSignIn } from '../federation/provider-buttons';

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

type Step =
  { kind: 'password' } | { kind: 'second-factor'; methods: readonly SecondFactorMethod[] };

/** Passkey sign-in and its library, fetched on demand: most visitors sign in with a password. */
const loadPasskeys = async () => {
  const [api, webauthn] = await Promise.all([
    import('./second-step-api'),
    import('../../lib/webauthn'),
  ]);
  return { signInWithPasskey: api.signInWithPasskey, ...webauthn };
};

export function SignInPage() {
  const { state, signIn, signedIn } = useAuth();
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
  const { errors, attempt, fail, clear } = useFormErrors<Field>();
  const [submitting, setSubmitting] = useState(false);
  const [pause, setPause] = useState<Pause | null>(null);
  const [lastAttempt, setLastAttempt] = useState(false);
  const secondsLeft = useCountdown(pause?.until ?? null);
  const paused = pause !== null && secondsLeft > 0;
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [expired, setExpired] = useState(false);
  const [passkeyBusy, setPasskeyBusy] = useState(false);
  // Read when an autofilled passkey completes, which may be long after the effect started.
  const rememberRef = useRef(remember);
  useEffect(() => {
    rememberRef.current = remember;
  }, [remember]);

  const finishWithPasskey = (outcome: SignInOutcome | null) => {
    // A passkey proves possession and user verification: the server never asks for more.
    if (outcome?.status === 'signed-in') signedIn(outcome.user);
  };

  const showPasskeyFailure = (error: unknown) => {
    setPause(null);
    setResetRequired(false);
    setLastAttempt(false);
    fail({ fields: {}, form: [failureMessage(error)] });
  };

  const atPasswordStep = step.kind === 'password';
  const signedInAlready = state.status === 'authenticated';
  // Armed when the email field first takes focus, not at page load: an anonymous page load asks
  // the server one question only (GET /api/session), and each autofill request makes the server
  // store a challenge, which a visitor who only looks at the page has no use for.
  const [autofillArmed, setAutofillArmed] = useState(false);
  useEffect(() => {
    // Conditional UI (WebAuthn autofill): the email field offers the site's passkeys among its
    // suggestions, and picking one signs in. The request waits for as long as the page is open.
    if (!autofillArmed || !atPasswordStep || signedInAlready) return;
    const controller = new AbortController();
    // A function, not the property: it changes between the awaits below.
    const left = () => controller.signal.aborted;
    let cancelPrompt: (() => void) | undefined;
    void (async () => {
      try {
        const passkeys = await loadPasskeys();
        if (left()) return;
        cancelPrompt = passkeys.cancelPasskeyPrompt;
        try {
          const outcome = await passkeys.signInWithPasskey({
            remember: () => rememberRef.current,
            autofill: true,
            signal: controller.signal,
          });
          if (!left()) finishWithPasskey(outcome);
        } catch (error) {
          // Ended by leaving the page or by the passkey button, which starts its own request.
          if (passkeys.isPasskeyAborted(error) || left()) return;
          showPasskeyFailure(error);
        }
      } catch {
        // Left the page (an aborted request), or autofill is unavailable: it is a convenience,
        // and the password and the passkey button work without it.
      }
    })();
    return () => {
      controller.abort();
      cancelPrompt?.();
    };
    // finishWithPasskey and showPasskeyFailure only set state; the request must not restart.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [autofillArmed, atPasswordStep, signedInAlready]);

  if (state.status === 'authenticated') {
    // An unconfirmed address gets nowhere else yet: straight to the page that says why.
    if (!state.user.emailVerified) return <Navigate to="/check-inbox" replace />;
    return <Navigate to={safeNextPath(searchParams.get('next')) ?? '/notes'} replace />;
  }

  const submit = async () => {
    const validation = validateForm(loginBodySchema, { email, password });
    if (!validation.ok) {
      setPause(null);
      setResetRequired(false);
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    setExpired(false);
    try {
      // On success the auth state changes and the redirect above takes over.
      const outcome = await signIn({ ...validation.data, remember });
      if (outcome.status === 'second-factor') {
        setPassword('');
        clear();
        setStep({ kind: 'second-factor', methods: outcome.methods });
        setSubmitting(false);
      }
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

  const signInWithPasskey = async () => {
    setPasskeyBusy(true);
    try {
      const passkeys = await loadPasskeys();
      try {
        // A new request replaces the autofill one, which then ends as aborted.
        finishWithPasskey(await passkeys.signInWithPasskey({ remember: () => remember }));
        return;
      } catch (error) {
        if (!passkeys.isPasskeyAborted(error)) showPasskeyFailure(error);
      }
    } catch (error) {
      showPasskeyFailure(error);
    }
    setPasskeyBusy(false);
  };

  if (step.kind === 'second-factor') {
    return (
      <Page title="Sign in">
        <SecondFactorStep
          methods={step.methods}
          remember={remember}
          onSignedIn={signedIn}
          onRestart={(reason) => {
            setExpired(reason === 'expired');
            setStep({ kind: 'password' });
          }}
        />
      </Page>
    );
  }

  return (
    <Page title="Sign in">
      {expired && (
        <p role="status" className="notice">
          That took too long, so the sign-in was started afresh. Enter your password again.
        </p>
      )}
      {notice?.notice !== undefined && (
        <p role="status" className="notice">
          {signInNoticeMessages[notice.notice]}
        </p>
      )}
      <ProviderSignIn
        remember={remember}
        onSecondFactor={(methods) => {
          setStep({ kind: 'second-factor', methods });
        }}
      />
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
          // "webauthn" lets the browser suggest the site's passkeys here (conditional UI).
          autoComplete="username webauthn"
          onFocus={() => {
            setAutofillArmed(true);
          }}
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
      {/* Not "Sign in with a passkey": two buttons both named "Sign in…" would make a voice
          command ("click Sign in") ambiguous. */}
      <div className="passkey-sign-in">
        <p>Or sign in without a password:</p>
        <ActionButton
          className="button button--secondary"
          unavailable={passkeyBusy || submitting}
          onClick={() => {
            void signInWithPasskey();
          }}
        >
          {passkeyBusy ? 'Waiting for your passkey…' : 'Use a passkey'}
        </ActionButton>
      </div>
      <p className="form-footer">
        New here? <Link to="/register">Create an account</Link>
      </p>
    </Page>
  );
}
