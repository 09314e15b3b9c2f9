import { useDeferredValue, useEffect, useMemo, useState } from 'react';
import type { StrengthEstimate } from '../lib/password-strength';

type Estimator = (password: string, userInputs: readonly string[]) => StrengthEstimate;

let estimatorPromise: Promise<Estimator> | undefined;

/** zxcvbn and its dictionaries are fetched on first use, so they stay out of the initial bundle. */
function loadEstimator(): Promise<Estimator> {
  estimatorPromise ??= import('../lib/password-strength').then(
    (module) => module.estimateStrength,
    (error: unknown) => {
      estimatorPromise = undefined;
      throw error;
    },
  );
  return estimatorPromise;
}

const scoreLabels = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;

interface PasswordStrengthMeterProps {
  id: string;
  password: string;
  /** Words the user is known by (email, name): a password built from them is easy to guess. */
  userInputs: readonly string[];
}

/**
 * Advice while typing, not a rule: the server's policy (length, breached passwords) decides. The
 * label is a polite live region and only changes when the score does, so it is not chatty.
 */
export function PasswordStrengthMeter({ id, password, userInputs }: PasswordStrengthMeterProps) {
  const [estimator, setEstimator] = useState<{ estimate: Estimator } | null>(null);
  const [loadFailed, setLoadFailed] = useState(false);
  // Estimating long passwords takes a few milliseconds; keep typing responsive.
  const deferredPassword = useDeferredValue(password);
  const wanted = password !== '';

  useEffect(() => {
    if (!wanted || estimator !== null) return;
    let active = true;
    loadEstimator().then(
      (estimate) => {
        if (active) setEstimator({ estimate });
      },
      () => {
        if (active) setLoadFailed(true);
      },
    );
    return () => {
      active = false;
    };
  }, [wanted, estimator]);

  const result = useMemo(
    () =>
      estimator === null || deferredPassword === ''
        ? undefined
        : estimator.estimate(deferredPassword, userInputs),
    [estimator, deferredPassword, userInputs],
  );

  const score = password === '' ? undefined : result?.score;
  let label = '';
  if (password !== '') {
    if (result !== undefined) label = `Password strength: ${scoreLabels[result.score]}`;
    else if (loadFailed) label = 'Password strength could not be checked.';
    else label = 'Checking password strength…';
  }

  return (
    <div id={id} className="strength" data-score={score ?? 'none'} data-testid="password-strength">
      <div className="strength-bar" aria-hidden="true">
        <span />
        <span />
        <span />
        <span />
      </div>
      <p className="strength-label" aria-live="polite">
        {label}
      </p>
      {password !== '' && result?.warning !== undefined && result.warning !== '' && (
        <p className="strength-warning">{result.warning}</p>
      )}
      {password !== '' && result !== undefined && result.suggestions.length > 0 && (
        <ul className="strength-suggestions">
          {result.suggestions.map((suggestion) => (
            <li key={suggestion}>{suggestion}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
