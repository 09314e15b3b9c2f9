import { resendVerificationBodySchema } from '@portcullis/contract/account';
import { useId, useState, type SubmitEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { Page } from '../../components/page';
import { Loading } from '../../components/status-message';
import { TextField } from '../../components/text-field';
import { validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { useAuth } from '../auth/auth-context';
import { readEmailState, type SignInNotice } from '../auth/sign-in-notice';
import { resendVerificationRequest } from './account-api';
import { ResendButton, useResend } from './resend';

/** Signed in (unconfirmed) or just registered: the address is known, one button resends. */
function ResendToKnownAddress({ email, signedIn }: { email: string; signedIn: boolean }) {
  const resend = useResend();
  return (
    <ResendButton
      resend={resend}
      label="Send the link again"
      onPress={() => {
        void resend.send(
          // Signed in, the server knows the address; anonymous, the page says which it was.
          () => resendVerificationRequest(signedIn ? {} : { email }),
          // Anonymous, the words fit every address: whether it still needs confirming is not said.
          signedIn
            ? `We sent a new link to ${email}.`
            : `A new link is on its way to ${email}, if that address still needs confirming.`,
        );
      }}
    />
  );
}

/** Opened directly, without a session or a registration behind it: the visitor names the address. */
function ResendToTypedAddress() {
  const resend = useResend();
  const idPrefix = useId();
  const headingId = `${idPrefix}heading`;
  const fields = { email: { id: `${idPrefix}email`, label: 'Email' } };
  const [email, setEmail] = useState('');
  const { errors, attempt, fail, clear } = useFormErrors<'email'>();

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (resend.busy || resend.secondsLeft > 0) return;
    const validation = validateForm(resendVerificationBodySchema, { email });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    clear();
    const body = validation.data;
    void resend.send(
      () => resendVerificationRequest(body),
      // The same words for every address: whether it has an unconfirmed account is not said.
      `A new link is on its way to ${body.email ?? email}, if that address still needs confirming.`,
    );
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Ask for a new link</h2>
      <form className="form" noValidate onSubmit={handleSubmit} aria-labelledby={headingId}>
        <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
        <TextField
          id={fields.email.id}
          label={fields.email.label}
          type="email"
          autoComplete="email"
          value={email}
          onChange={setEmail}
          error={errors.fields.email}
        />
        <ResendButton resend={resend} label="Send a new link" type="submit" primary />
      </form>
    </section>
  );
}

function SignOutInstead() {
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const handleClick = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await signOut();
      const notice: SignInNotice = { notice: 'signed-out' };
      await navigate('/sign-in', { state: notice });
    } catch (caught) {
      setError(userMessage(caught));
      setBusy(false);
    }
  };

  return (
    <>
      <p className="form-footer">Registered with the wrong address, or not you? Sign out:</p>
      <div className="button-row">
        <ActionButton
          className="button button--secondary"
          unavailable={busy}
          onClick={() => {
            void handleClick();
          }}
        >
          {busy ? 'Signing out…' : 'Sign out'}
        </ActionButton>
      </div>
      {error !== undefined && (
        <p role="alert" className="alert alert--error">
          {error}
        </p>
      )}
    </>
  );
}

/**
 * After registering, and for a signed-in user whose address is not confirmed yet: the server
 * refuses everything else until then (email_not_verified), so this is the one page they get.
 */
export function CheckInboxPage() {
  const { state } = useAuth();
  const location = useLocation();
  const registeredEmail = readEmailState(location.state);

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'authenticated' && state.user.emailVerified) {
    return <Navigate to="/notes" replace />;
  }
  const signedIn = state.status === 'authenticated';
  const email = signedIn ? state.user.email : registeredEmail;

  if (email === undefined) {
    return (
      <Page title="Check your inbox">
        <p className="lead">
          To confirm your email address, follow the link in the message we sent you when you
          registered.
        </p>
        <p>Nothing there, or the link has expired? Check your spam folder, or ask for a new one.</p>
        <ResendToTypedAddress />
        <p className="form-footer">
          Already confirmed? <Link to="/sign-in">Sign in</Link>
        </p>
      </Page>
    );
  }

  return (
    <Page title="Check your inbox">
      <p className="lead">
        We sent a message to <strong className="email">{email}</strong>. Follow the link in it to
        confirm your address{signedIn ? '' : ', then sign in'}.
      </p>
      <p>Nothing there? Check your spam folder, or ask for another link.</p>
      <ResendToKnownAddress email={email} signedIn={signedIn} />
      {signedIn ? (
        <SignOutInstead />
      ) : (
        <p className="form-footer">
          Already confirmed?{' '}
          <Link to="/sign-in" state={{ email } satisfies SignInNotice}>
            Sign in
          </Link>
        </p>
      )}
    </Page>
  );
}
