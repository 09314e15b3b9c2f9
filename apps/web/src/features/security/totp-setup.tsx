import {
  confirmTotpBodySchema,
  type TotpEnrolmentResponse,
} from '@portcullis/contract/second-factors';
import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { QrCode } from '../../components/qr-code';
import { TextField } from '../../components/text-field';
import { formatDateTime } from '../../lib/format-date';
import { formErrorsFromApi, validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { confirmTotpRequest } from './second-factors-api';

type Field = 'code';
const fieldNames: readonly Field[] = ['code'];

/** "JBSW Y3DP EHPK 3PXP": groups of four are easier to copy by hand than one long string. */
function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

interface TotpSetupProps {
  enrolment: TotpEnrolmentResponse;
  /** The key is confirmed; recovery codes come with it when it is the account's first factor. */
  onEnrolled: (recoveryCodes: string[] | null) => void;
  onCancel: () => void;
}

/**
 * Enrolling an authenticator app (RFC 6238): scan the code or type the key, then prove the app
 * holds it with one code. Until that code is right the server keeps the key as pending, so a
 * half-finished setup never locks anybody out.
 */
export function TotpSetup({ enrolment, onEnrolled, onCancel }: TotpSetupProps) {
  const idPrefix = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const fields = { code: { id: `${idPrefix}code`, label: 'Code from the app' } };
  const [code, setCode] = useState('');
  const { errors, attempt, fail } = useFormErrors<Field>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // The button that opened the setup is gone; the steps start here.
    headingRef.current?.focus();
  }, []);

  const submit = async () => {
    const validation = validateForm(confirmTotpBodySchema, { code });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setBusy(true);
    try {
      onEnrolled(await confirmTotpRequest(validation.data.code));
    } catch (error) {
      setCode('');
      fail(formErrorsFromApi(error, fieldNames));
      setBusy(false);
    }
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!busy) void submit();
  };

  return (
    <div className="totp-setup">
      <h4 ref={headingRef} tabIndex={-1} className="subsection-title">
        Set up your authenticator app
      </h4>
      <ol className="setup-steps">
        <li>
          <p>Scan this QR code with an authenticator app on your phone.</p>
          <QrCode value={enrolment.otpauthUri} label="QR code for your authenticator app" />
        </li>
        <li>
          <p>Cannot scan it? Enter this key in the app instead:</p>
          <p>
            <code className="secret">{groupSecret(enrolment.secret)}</code>
          </p>
        </li>
        <li>
          <p>Enter the 6-digit code the app now shows.</p>
          <form
            className="form"
            noValidate
            onSubmit={handleSubmit}
            aria-label="Confirm authenticator app"
          >
            <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
            <TextField
              id={fields.code.id}
              label={fields.code.label}
              hint={
                <>
                  Finish before{' '}
                  <time dateTime={enrolment.expiresAt}>{formatDateTime(enrolment.expiresAt)}</time>,
                  or start again.
                </>
              }
              autoComplete="one-time-code"
              inputMode="numeric"
              spellCheck={false}
              value={code}
              onChange={setCode}
              error={errors.fields.code}
            />
            <div className="button-row">
              <ActionButton type="submit" className="button" unavailable={busy}>
                {busy ? 'Checking…' : 'Turn on'}
              </ActionButton>
              <ActionButton
                className="button button--secondary"
                unavailable={busy}
                onClick={onCancel}
              >
                Cancel
              </ActionButton>
            </div>
          </form>
        </li>
      </ol>
    </div>
  );
}
