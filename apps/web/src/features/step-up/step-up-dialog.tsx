import { reauthenticateBodySchema } from '@portcullis/contract/second-factors';
import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { ApiError, isAbortError } from '../../api/api-error';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { CurrentPasswordField, TextField } from '../../components/text-field';
import { failureMessage } from '../../lib/failure-message';
import {
  formErrorsFromApi,
  noFormErrors,
  validateForm,
  type FormErrors,
} from '../../lib/form-errors';
import { useAuth } from '../auth/auth-context';
import {
  factorsRequest,
  reauthenticatePasskeyOptionsRequest,
  reauthenticatePasskeyRequest,
  reauthenticateRequest,
} from './step-up-api';

export interface StepUpDialogProps {
  onConfirmed: () => void;
  onCancel: () => void;
}

type Method = 'password' | 'totp';
type Field = 'password' | 'code';
const fieldNames: readonly Field[] = ['password', 'code'];

/** The ways this account can prove itself besides the password, learnt when the dialog opens. */
interface Offered {
  totp: boolean;
  passkey: boolean;
}

/**
 * Step-up (OWASP ASVS 3.7.1, ADR 015): a sensitive action on a session whose sign-in is more than
 * ten minutes old asks the user to prove it is them again (password, authenticator code or
 * passkey), so a session left open on a shared computer cannot change the account's protection.
 */
export function StepUpDialog({ onConfirmed, onCancel }: StepUpDialogProps) {
  const { state } = useAuth();
  const idPrefix = useId();
  const formId = `${idPrefix}form`;
  const inputRef = useRef<HTMLInputElement>(null);
  const [method, setMethod] = useState<Method>('password');
  const [offered, setOffered] = useState<Offered>({ totp: false, passkey: false });
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<FormErrors<Field>>(noFormErrors);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    factorsRequest(controller.signal).then(
      (factors) => {
        setOffered({ totp: factors.totp.enabled, passkey: factors.passkeys.length > 0 });
      },
      (error: unknown) => {
        // The password still works; only the other ways go unoffered.
        if (!isAbortError(error)) setOffered({ totp: false, passkey: false });
      },
    );
    return () => {
      controller.abort();
    };
  }, []);

  const refuse = (error: unknown) => {
    setPassword('');
    setCode('');
    if (error instanceof ApiError && error.code === 'invalid_second_factor') {
      setErrors({ fields: { code: 'That code was not accepted. Try again.' }, form: [] });
    } else if (error instanceof Error && error.name === 'PasskeyPromptError') {
      setErrors({ fields: {}, form: [failureMessage(error)] });
    } else {
      setErrors(formErrorsFromApi(error, fieldNames));
    }
    setBusy(false);
    inputRef.current?.focus();
  };

  const confirm = async () => {
    const validation =
      method === 'password'
        ? validateForm(reauthenticateBodySchema, { method, password })
        : validateForm(reauthenticateBodySchema, { method, code });
    if (!validation.ok) {
      setErrors({ fields: validation.errors.fields, form: validation.errors.form });
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setErrors(noFormErrors());
    try {
      await reauthenticateRequest(validation.data);
    } catch (error) {
      refuse(error);
      return;
    }
    onConfirmed();
  };

  const confirmWithPasskey = async () => {
    setBusy(true);
    setErrors(noFormErrors());
    try {
      const { getPasskey } = await import('../../lib/webauthn');
      const options = await reauthenticatePasskeyOptionsRequest();
      const response = await getPasskey(options);
      await reauthenticatePasskeyRequest({ response });
    } catch (error) {
      refuse(error);
      return;
    }
    onConfirmed();
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!busy) void confirm();
  };

  const switchTo = (next: Method) => {
    setMethod(next);
    setErrors(noFormErrors());
    // The new field replaces the one that had focus.
    queueMicrotask(() => inputRef.current?.focus());
  };

  return (
    <ConfirmDialog
      open
      tone="primary"
      title="Confirm it is you"
      confirmLabel="Continue"
      busyLabel="Checking…"
      busy={busy}
      error={errors.form[0]}
      initialFocusRef={inputRef}
      confirmForm={formId}
      onConfirm={() => {
        if (!busy) void confirm();
      }}
      onCancel={onCancel}
      controls={
        <>
          <form id={formId} className="form" noValidate onSubmit={handleSubmit}>
            {method === 'password' ? (
              <CurrentPasswordField
                key="password"
                email={state.status === 'authenticated' ? state.user.email : undefined}
                id={`${idPrefix}password`}
                inputRef={inputRef}
                label="Your password"
                value={password}
                onChange={setPassword}
                error={errors.fields.password}
              />
            ) : (
              <TextField
                key="code"
                id={`${idPrefix}code`}
                inputRef={inputRef}
                label="Authenticator code"
                hint="The 6-digit code your authenticator app shows for Portcullis now."
                autoComplete="one-time-code"
                inputMode="numeric"
                spellCheck={false}
                value={code}
                onChange={setCode}
                error={errors.fields.code}
              />
            )}
          </form>
          {(offered.totp || offered.passkey) && (
            <div className="button-row button-row--compact">
              {offered.totp && (
                <button
                  type="button"
                  className="button button--secondary button--small"
                  onClick={() => {
                    switchTo(method === 'password' ? 'totp' : 'password');
                  }}
                >
                  {method === 'password'
                    ? 'Use your authenticator app instead'
                    : 'Use your password instead'}
                </button>
              )}
              {offered.passkey && (
                <button
                  type="button"
                  className="button button--secondary button--small"
                  onClick={() => {
                    if (!busy) void confirmWithPasskey();
                  }}
                >
                  Use a passkey
                </button>
              )}
            </div>
          )}
        </>
      }
    >
      <p>
        This change protects your account, and you signed in more than ten minutes ago. Confirm it
        is you to continue.
      </p>
    </ConfirmDialog>
  );
}
