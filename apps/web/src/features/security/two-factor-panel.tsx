import type { FactorsResponse, TotpEnrolmentResponse } from '@portcullis/contract/second-factors';
import { useId, useRef, useState } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { ErrorAlert, LoadFailed, Loading, StatusMessage } from '../../components/status-message';
import { failureMessage } from '../../lib/failure-message';
import { formatDateTime } from '../../lib/format-date';
import { useResource } from '../../lib/use-resource';
import { lastFactorMessage } from './last-factor-message';
import { PasskeysSection } from './passkeys-section';
import { RecoveryCodesList } from './recovery-codes-list';
import {
  factorsRequest,
  regenerateRecoveryCodesRequest,
  removeTotpRequest,
  startTotpRequest,
} from './second-factors-api';
import { TotpSetup } from './totp-setup';

function hasSecondFactor(factors: FactorsResponse): boolean {
  return factors.totp.enabled || factors.passkeys.length > 0;
}

interface TotpSectionProps {
  factors: FactorsResponse;
  onChanged: (message: string, recoveryCodes?: string[] | null) => void;
}

function TotpSection({ factors, onChanged }: TotpSectionProps) {
  const headingId = useId();
  const [enrolment, setEnrolment] = useState<TotpEnrolmentResponse | undefined>();
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [confirmingRemove, setConfirmingRemove] = useState(false);
  const [removeBusy, setRemoveBusy] = useState(false);
  const [removeError, setRemoveError] = useState<string | undefined>();
  const setupButtonRef = useRef<HTMLButtonElement>(null);

  const start = async () => {
    setStarting(true);
    setError(undefined);
    try {
      setEnrolment(await startTotpRequest());
    } catch (caught) {
      setError(userMessage(caught));
    } finally {
      setStarting(false);
    }
  };

  const remove = async () => {
    setRemoveBusy(true);
    setRemoveError(undefined);
    try {
      await removeTotpRequest();
    } catch (caught) {
      setRemoveError(lastFactorMessage(caught));
      setRemoveBusy(false);
      return;
    }
    setRemoveBusy(false);
    setConfirmingRemove(false);
    onChanged('The authenticator app was removed.');
  };

  return (
    <div className="factor" role="group" aria-labelledby={headingId}>
      <h3 id={headingId} className="subsection-title">
        Authenticator app
      </h3>
      {factors.totp.enabled ? (
        <>
          <p>
            <span className="badge badge--current">On</span>{' '}
            {factors.totp.createdAt !== null && (
              <>
                Set up{' '}
                <time dateTime={factors.totp.createdAt}>
                  {formatDateTime(factors.totp.createdAt)}
                </time>
                .
              </>
            )}{' '}
            Sign-in asks for a code from the app after your password.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="button button--danger-outline"
              onClick={() => {
                setRemoveError(undefined);
                setConfirmingRemove(true);
              }}
            >
              Remove authenticator app
            </button>
          </div>
        </>
      ) : enrolment === undefined ? (
        <>
          <p>
            An app such as Google Authenticator, Microsoft Authenticator or 1Password shows a new
            6-digit code every 30 seconds; sign-in asks for it after your password.
          </p>
          <div className="button-row">
            <ActionButton
              ref={setupButtonRef}
              className="button"
              unavailable={starting}
              onClick={() => {
                void start();
              }}
            >
              {starting ? 'Preparing…' : 'Set up an authenticator app'}
            </ActionButton>
          </div>
        </>
      ) : (
        <TotpSetup
          enrolment={enrolment}
          onCancel={() => {
            setEnrolment(undefined);
          }}
          onEnrolled={(recoveryCodes) => {
            setEnrolment(undefined);
            onChanged('The authenticator app is on.', recoveryCodes);
          }}
        />
      )}
      {error !== undefined && <ErrorAlert message={error} />}
      <ConfirmDialog
        open={confirmingRemove}
        title="Remove the authenticator app?"
        confirmLabel="Remove authenticator app"
        busyLabel="Removing…"
        busy={removeBusy}
        error={removeError}
        onConfirm={() => {
          if (!removeBusy) void remove();
        }}
        onCancel={() => {
          setConfirmingRemove(false);
        }}
      >
        <p>Sign-in will stop asking for its codes. Delete the Portcullis entry from the app too.</p>
      </ConfirmDialog>
    </div>
  );
}

interface RecoveryCodesSectionProps {
  factors: FactorsResponse;
  onRegenerated: (codes: string[]) => void;
}

function RecoveryCodesSection({ factors, onRegenerated }: RecoveryCodesSectionProps) {
  const headingId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const { remaining, total } = factors.recoveryCodes;

  const regenerate = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onRegenerated(await regenerateRecoveryCodesRequest());
    } catch (caught) {
      setError(failureMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="factor" role="group" aria-labelledby={headingId}>
      <h3 id={headingId} className="subsection-title">
        Recovery codes
      </h3>
      <p>
        {total === 0
          ? 'You have no recovery codes.'
          : `${String(remaining)} of ${String(total)} recovery codes left.`}{' '}
        Each signs you in once if you lose your authenticator app and passkeys.
        {remaining <= 3 && total > 0 && ' Running low: get a new set.'}
      </p>
      <div className="button-row">
        <ActionButton
          className="button button--secondary"
          unavailable={busy}
          aria-describedby={`${headingId}-hint`}
          onClick={() => {
            void regenerate();
          }}
        >
          {busy ? 'Creating codes…' : 'Get new recovery codes'}
        </ActionButton>
      </div>
      <p id={`${headingId}-hint`} className="field-hint">
        Your current codes stop working as soon as the new ones are made.
      </p>
      {error !== undefined && <ErrorAlert message={error} />}
    </div>
  );
}

interface TwoFactorPanelProps {
  /** The role requires a factor the user lacks: the panel is the only thing on the page. */
  setupRequired: boolean;
  /** The account has its first factor: the app may let the user go elsewhere again. */
  onFirstFactor: () => void;
}

/**
 * What protects the account beyond its password: an authenticator app (TOTP), passkeys, and the
 * recovery codes that stand in for both. Every change here may ask the user to confirm it is them
 * first (step-up), which the API client handles.
 */
export function TwoFactorPanel({ setupRequired, onFirstFactor }: TwoFactorPanelProps) {
  const { resource: state, reload, retry } = useResource(factorsRequest);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [status, setStatus] = useState('');

  const changed = async (message: string, recoveryCodes?: string[] | null) => {
    setStatus(message);
    if (recoveryCodes !== undefined && recoveryCodes !== null && recoveryCodes.length > 0) {
      setCodes(recoveryCodes);
    }
    const factors = await reload();
    if (setupRequired && factors !== undefined && hasSecondFactor(factors)) onFirstFactor();
  };

  return (
    <section className="panel" aria-labelledby="two-factor-heading">
      <h2 id="two-factor-heading">Two-factor authentication</h2>
      <StatusMessage message={status} />
      {codes !== null && (
        <RecoveryCodesList
          codes={codes}
          onDone={() => {
            setCodes(null);
            setStatus('Recovery codes saved. Keep them safe.');
          }}
        />
      )}
      {state.status === 'loading' && <Loading label="Loading your second factors…" />}
      {state.status === 'error' && <LoadFailed error={state.error} onRetry={retry} />}
      {state.status === 'ready' && (
        <>
          <p>
            {hasSecondFactor(state.data)
              ? 'Signing in needs your password and a second factor, or a passkey alone.'
              : 'Only your password protects your account. Add an authenticator app or a passkey, so a stolen password is not enough.'}
          </p>
          <TotpSection
            factors={state.data}
            onChanged={(message, recoveryCodes) => {
              void changed(message, recoveryCodes);
            }}
          />
          <PasskeysSection
            passkeys={state.data.passkeys}
            onChanged={(message, recoveryCodes) => {
              void changed(message, recoveryCodes);
            }}
          />
          {hasSecondFactor(state.data) && (
            <RecoveryCodesSection
              factors={state.data}
              onRegenerated={(regenerated) => {
                void changed(
                  'New recovery codes were made; the old ones no longer work.',
                  regenerated,
                );
              }}
            />
          )}
        </>
      )}
    </section>
  );
}
