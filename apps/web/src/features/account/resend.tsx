import { useCallback, useId, useState } from 'react';
import { ApiError, userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { StatusMessage } from '../../components/status-message';
import { formatCountdown, useCountdown } from '../../lib/use-countdown';

/** After a link is sent, the next one waits this long: the mail needs a moment to arrive. */
export const RESEND_PAUSE_SECONDS = 60;

export interface Resend {
  busy: boolean;
  /** Seconds until the next request may be sent; 0 when it may be sent now. */
  secondsLeft: number;
  /** Announced after a request went out. */
  status: string;
  /** Shown (and announced) after a refusal. */
  error: string | undefined;
  /** Resolves true once the request went out; a refusal is shown through `error` instead. */
  send: (request: () => Promise<void>, sentMessage: string) => Promise<boolean>;
}

/**
 * Sending a mailed link again. After a success the next request waits 60 s; after a refusal with
 * Retry-After (the server limits mail per address and per client), as long as the server says.
 */
export function useResend(): Resend {
  const [busy, setBusy] = useState(false);
  const [pauseUntil, setPauseUntil] = useState<number | null>(null);
  const secondsLeft = useCountdown(pauseUntil);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | undefined>();

  const send = useCallback(async (request: () => Promise<void>, sentMessage: string) => {
    setBusy(true);
    setStatus('');
    setError(undefined);
    try {
      await request();
      setStatus(sentMessage);
      setPauseUntil(Date.now() + RESEND_PAUSE_SECONDS * 1000);
      return true;
    } catch (caught) {
      setError(userMessage(caught));
      if (caught instanceof ApiError && caught.retryAfterSeconds !== undefined) {
        setPauseUntil(Date.now() + caught.retryAfterSeconds * 1000);
      }
      return false;
    } finally {
      setBusy(false);
    }
  }, []);

  return { busy, secondsLeft, status, error, send };
}

interface ResendButtonProps {
  resend: Resend;
  label: string;
  /** The main action of its form (the first request) rather than a second try beside a result. */
  primary?: boolean;
  /** For a plain button; a submit button leaves the work to its form's submit handler. */
  onPress?: () => void;
  type?: 'button' | 'submit';
}

/**
 * The button for `useResend`, unavailable (but focusable, and saying why) while the wait runs,
 * with the countdown beside it, the announced confirmation and any refusal.
 */
export function ResendButton({
  resend,
  label,
  primary = false,
  onPress,
  type = 'button',
}: ResendButtonProps) {
  const waitId = useId();
  const paused = resend.secondsLeft > 0;
  return (
    <div className="resend">
      {resend.error !== undefined && (
        <p role="alert" className="alert alert--error">
          {resend.error}
        </p>
      )}
      <div className="button-row">
        <ActionButton
          type={type}
          className={primary ? 'button' : 'button button--secondary'}
          unavailable={resend.busy || paused}
          aria-describedby={paused ? waitId : undefined}
          onClick={onPress}
        >
          {resend.busy ? 'Sending…' : label}
        </ActionButton>
      </div>
      {paused && (
        <p id={waitId} className="field-hint resend-wait">
          You can ask for another link in{' '}
          {/* Not live: the status said once that the link went out; a ticking region would chatter. */}
          <span role="timer" aria-live="off">
            {formatCountdown(resend.secondsLeft)}
          </span>
          .
        </p>
      )}
      <StatusMessage message={resend.status} />
    </div>
  );
}
