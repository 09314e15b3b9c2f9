import { PASSWORD_MIN_LENGTH_DEFAULT } from '@portcullis/contract/password-policy';
import { useId, useState, type ReactNode, type SubmitEvent } from 'react';
import type { ZodType } from 'zod';
import { ApiError } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { Page } from '../../components/page';
import { PasswordStrengthMeter } from '../../components/password-strength-meter';
import { TextField } from '../../components/text-field';
import { formErrorsFromApi, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { LinkProblem } from './link-problem';
import { useLinkToken } from './link-token';

type Field = 'newPassword';
const fieldNames: readonly Field[] = ['newPassword'];

/** Nothing personal is known before the link is used: the meter judges the password on its own. */
const noUserInputs: readonly string[] = [];

interface SetPasswordFromLinkProps {
  title: string;
  lead: ReactNode;
  submitLabel: string;
  /** The contract's body schema less the token, which was checked when the page opened. */
  schema: ZodType<{ newPassword: string }>;
  request: (body: { token: string; newPassword: string }) => Promise<void>;
  /** After the server accepted the password: where the user goes next. */
  onDone: () => Promise<void>;
  /** What to do instead when the link cannot be used (ask for a new one, and whom). */
  whenUnusable: ReactNode;
}

/**
 * A page opened from a mailed link (`#token=…`) that sets a password under the full policy: the
 * password reset and the invitation. The token is read from the fragment and dropped from the
 * address bar at once; a link the server refuses ends the form, since retrying cannot help.
 */
export function SetPasswordFromLink(props: SetPasswordFromLinkProps) {
  const linkToken = useLinkToken();
  const idPrefix = useId();
  const strengthId = `${idPrefix}strength`;
  const fields = { newPassword: { id: `${idPrefix}new`, label: 'New password' } };

  const [newPassword, setNewPassword] = useState('');
  const { errors, attempt, fail } = useFormErrors<Field>();
  const [submitting, setSubmitting] = useState(false);
  /** Set when the server refused the link itself: the form has nothing left to do. */
  const [linkRefused, setLinkRefused] = useState<string | undefined>();

  const unusable = (message: string) => (
    <Page title={props.title}>
      <LinkProblem message={message}>{props.whenUnusable}</LinkProblem>
    </Page>
  );
  if (!linkToken.ok) return unusable(linkToken.problem);
  if (linkRefused !== undefined) return unusable(linkRefused);
  const { token } = linkToken;

  const submit = async () => {
    const validation = validateForm(props.schema, { newPassword });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setSubmitting(true);
    try {
      await props.request({ token, newPassword: validation.data.newPassword });
    } catch (error) {
      setSubmitting(false);
      if (error instanceof ApiError && error.code === 'invalid_token') {
        setLinkRefused(error.message);
      } else {
        fail(formErrorsFromApi(error, fieldNames));
      }
      return;
    }
    await props.onDone();
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!submitting) void submit();
  };

  return (
    <Page title={props.title}>
      <p className="lead">{props.lead}</p>
      <form className="form" noValidate onSubmit={handleSubmit} aria-label={props.title}>
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
            {submitting ? 'Saving…' : props.submitLabel}
          </ActionButton>
        </div>
      </form>
    </Page>
  );
}
