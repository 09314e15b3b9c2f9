import type { User } from '@portcullis/contract/auth';
import {
  secondFactorBodySchema,
  type SecondFactorMethod,
} from '@portcullis/contract/second-factors';
import { useEffect, useId, useRef, useState, type SubmitEvent } from 'react';
import { ApiError, userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorSummary } from '../../components/error-summary';
import { TextField } from '../../components/text-field';
import { failureMessage } from '../../lib/failure-message';
import { validateForm } from '../../lib/form-errors';
import { useFormErrors } from '../../lib/use-form-errors';
import { secondFactorRequest, signInWithPasskey as passkeySignIn } from './second-step-api';
import { isPasskeyAborted } from '../../lib/webauthn';

type CodeMethod = Exclude<SecondFactorMethod, 'passkey'>;
type Field = 'code';

interface SecondFactorStepProps {
  methods: readonly SecondFactorMethod[];
  /** "Keep me signed in", as ticked on the password step. */
  remember: boolean;
  onSignedIn: (user: User) => void;
  /** Back to the password step; `expired` when the server no longer holds the first step. */
  onRestart: (reason?: 'expired') => void;
}

const codeFields: Record<CodeMethod, { label: string; hint: string; autoComplete: string }> = {
  totp: {
    label: 'Authenticator code',
    hint: 'The 6-digit code your authenticator app shows for Portcullis now.',
    // Lets the browser or password manager offer a code it holds for this site.
    autoComplete: 'one-time-code',
  },
  recovery: {
    label: 'Recovery code',
    hint: 'One of the codes you saved when you set up two-step verification, four groups of six letters and digits. Each works once.',
    autoComplete: 'off',
  },
};

const switchLabels: Record<CodeMethod, string> = {
  totp: 'Use your authenticator app instead',
  recovery: 'Use a recovery code instead',
};

function SwitchMethodButton({
  to,
  onSwitch,
}: {
  to: CodeMethod;
  onSwitch: (to: CodeMethod) => void;
}) {
  return (
    <button
      type="button"
      className="button button--secondary"
      onClick={() => {
        onSwitch(to);
      }}
    >
      {switchLabels[to]}
    </button>
  );
}

/** The refusal's sentence, with the attempts left when the server says how many. */
function refusalMessage(error: unknown): string {
  const message = userMessage(error);
  if (!(error instanceof ApiError) || error.attemptsRemaining === undefined) return message;
  const left = error.attemptsRemaining;
  return `${message} ${left === 1 ? '1 attempt left' : `${String(left)} attempts left`} before sign-in pauses.`;
}

/**
 * The sign-in's second step, after a right password: a code from the authenticator app, a
 * recovery code, or a passkey. It ships with the sign-in page (small); the passkey library is
 * fetched only when the passkey button is pressed.
 */
export function SecondFactorStep({
  methods,
  remember,
  onSignedIn,
  onRestart,
}: SecondFactorStepProps) {
  const idPrefix = useId();
  const offersTotp = methods.includes('totp');
  const offersRecovery = methods.includes('recovery');
  const offersPasskey = methods.includes('passkey');
  // What is asked for first: the app's code, else a passkey, else a recovery code (the fallback).
  const [shown, setShown] = useState<SecondFactorMethod>(
    offersTotp ? 'totp' : offersPasskey ? 'passkey' : 'recovery',
  );
  const method: CodeMethod = shown === 'totp' ? 'totp' : 'recovery';
  const [code, setCode] = useState('');
  const { errors, attempt, fail, clear } = useFormErrors<Field>();
  const [busy, setBusy] = useState<'code' | 'passkey' | undefined>();
  const codeRef = useRef<HTMLInputElement>(null);
  const passkeyRef = useRef<HTMLButtonElement>(null);
  const field = codeFields[method];
  const fields = { code: { id: `${idPrefix}code`, label: field.label } };
  const asksCode = shown !== 'passkey';

  useEffect(() => {
    // The password step's form is gone; the field that asks for the next thing takes its place.
    (codeRef.current ?? passkeyRef.current)?.focus();
  }, [shown]);

  const handleFailure = (error: unknown) => {
    if (error instanceof ApiError && error.code === 'unauthenticated') {
      // The five minutes the server holds a first step for are over: start again.
      onRestart('expired');
      return;
    }
    if (error instanceof ApiError && error.code === 'invalid_second_factor') {
      setCode('');
      fail({ fields: { code: refusalMessage(error) }, form: [] });
      return;
    }
    fail({ fields: {}, form: [failureMessage(error)] });
  };

  const submit = async () => {
    const validation = validateForm(secondFactorBodySchema, { method, code });
    if (!validation.ok) {
      fail(validation.errors);
      return;
    }
    setBusy('code');
    try {
      const outcome = await secondFactorRequest(validation.data);
      if (outcome.status === 'signed-in') {
        onSignedIn(outcome.user);
        return;
      }
      fail({ fields: {}, form: [userMessage(new ApiError('unexpected_response', 200))] });
    } catch (error) {
      handleFailure(error);
    }
    setBusy(undefined);
  };

  const signInWithPasskey = async () => {
    setBusy('passkey');
    try {
      const outcome = await passkeySignIn({ remember: () => remember });
      if (outcome?.status === 'signed-in') {
        onSignedIn(outcome.user);
        return;
      }
    } catch (error) {
      if (!isPasskeyAborted(error)) handleFailure(error);
    }
    setBusy(undefined);
  };

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy === undefined) void submit();
  };

  const switchTo = (next: CodeMethod) => {
    setShown(next);
    setCode('');
    clear();
  };

  return (
    <section aria-labelledby={`${idPrefix}heading`}>
      <h2 id={`${idPrefix}heading`}>Two-step verification</h2>
      <p>Your password was right. Now prove it is you with your second factor.</p>
      {asksCode && (
        <form className="form" noValidate onSubmit={handleSubmit} aria-label="Second step">
          <ErrorSummary errors={errors} fields={fields} attempt={attempt} />
          <TextField
            key={method}
            id={fields.code.id}
            inputRef={codeRef}
            label={field.label}
            hint={field.hint}
            autoComplete={field.autoComplete}
            inputMode={method === 'totp' ? 'numeric' : 'text'}
            spellCheck={false}
            value={code}
            onChange={setCode}
            error={errors.fields.code}
          />
          <div className="button-row">
            <ActionButton type="submit" className="button" unavailable={busy !== undefined}>
              {busy === 'code' ? 'Checking…' : 'Continue'}
            </ActionButton>
            {method === 'totp' && offersRecovery && (
              <SwitchMethodButton to="recovery" onSwitch={switchTo} />
            )}
            {method === 'recovery' && offersTotp && (
              <SwitchMethodButton to="totp" onSwitch={switchTo} />
            )}
          </div>
        </form>
      )}
      {!asksCode && <ErrorSummary errors={errors} fields={fields} attempt={attempt} />}
      {offersPasskey && (
        <div className="button-row">
          <ActionButton
            ref={passkeyRef}
            className={asksCode ? 'button button--secondary' : 'button'}
            unavailable={busy !== undefined}
            onClick={() => {
              void signInWithPasskey();
            }}
          >
            {busy === 'passkey' ? 'Waiting for your passkey…' : 'Use a passkey'}
          </ActionButton>
          {!asksCode && offersRecovery && <SwitchMethodButton to="recovery" onSwitch={switchTo} />}
        </div>
      )}
      <p className="form-footer">
        Not your account?{' '}
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => {
            onRestart();
          }}
        >
          Start again
        </button>
      </p>
    </section>
  );
}
