import { forgotPasswordBodySchema } from '@portcullis/contract/account';
import { useId, useState, type SubmitEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { ErrorSummary } from '../../components/error-summary';
import { Page } from '../../components/page';
import { ResultMessage } from '../../components/result-message';
import { TextField } from '../../components/text-field';
import { validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { readEmailState } from '../auth/sign-in-notice';
import { forgotPasswordRequest } from './account-api';
import { ResendButton, useResend } from './resend';

type Field = 'email';

/**
 * Asks for a reset link. The answer is the same for every address (OWASP Forgot Password Cheat
 * Sheet): the page never says whether an account exists, only where the link went if one does.
 */
export function ForgotPasswordPage() {
  const location = useLocation();
  const idPrefix = useId();
  const fields = { email: { id: `${idPrefix}email`, label: 'Email' } };
  const [email, setEmail] = useState(() => readEmailState(location.state) ?? '');
  const { errors, attempt, fail, clear } = useFormErrors<Field>();
  /** The address the first link went to; the form gives way to what happens next. */
  const [sentTo, setSentTo] = useState<string | undefined>();
  const resend = useResend();

  const request = (address: string) => () => forgotPasswordRequest({ email: address });

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (resend.busy || resend.secondsLeft > 0) return;
    const validation = validateForm(forgotPasswordBodySchema, { email });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    clear();
    const address = validation.data.email;
    void resend.send(request(address), '').then((sent) => {
      // A refusal (a wait) stays on the form, as an alert beside the button.
      if (sent) setSentTo(address);
    });
  };

  if (sentTo !== undefined) {
    return (
      <Page title="Forgot your password?">
        <ResultMessage tone="success" title="Check your inbox">
          <p>
            If <strong className="email">{sentTo}</strong> belongs to an account, we sent it a link
            to choose a new password. The link works once, for 30 minutes.
          </p>
          <p>Nothing there after a few minutes? Check your spam folder, or ask again.</p>
        </ResultMessage>
        <ResendButton
          resend={resend}
          label="Send the link again"
          onPress={() => {
            void resend.send(
              request(sentTo),
              `If ${sentTo} belongs to an account, another link is on its way.`,
            );
          }}
        />
        <p className="form-footer">
          <Link to="/sign-in" state={{ email: sentTo }}>
            Back to sign in
          </Link>
        </p>
      </Page>
    );
  }

  return (
    <Page title="Forgot your password?">
      <p className="lead">
        Enter the address you sign in with. We will send it a link to choose a new password.
      </p>
      <form className="form" noValidate onSubmit={handleSubmit} aria-label="Reset your password">
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
        <ResendButton resend={resend} label="Send me a link" type="submit" primary />
      </form>
      <p className="form-footer">
        Remembered it? <Link to="/sign-in">Sign in</Link>
      </p>
    </Page>
  );
}
