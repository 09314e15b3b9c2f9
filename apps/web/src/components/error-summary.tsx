import { useEffect, useId, useRef, type ReactNode } from 'react';
import type { FormErrors } from '../lib/form-errors';

interface ErrorSummaryProps<K extends string> {
  errors: FormErrors<K>;
  /** The id and label of each field, for links that take the user to the field to fix. */
  fields: Record<K, { id: string; label: string }>;
  /** Changes on every failed submit, so the summary takes focus (and is announced) each time. */
  attempt: number;
  /** A problem that is more than a sentence (a live countdown), listed first. */
  leading?: ReactNode;
}

/**
 * The list of problems at the top of a form (GOV.UK error summary pattern): it takes focus after
 * a failed submit, so keyboard and screen reader users land on it, and each entry links to its
 * field.
 */
export function ErrorSummary<K extends string>({
  errors,
  fields,
  attempt,
  leading,
}: ErrorSummaryProps<K>) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const fieldEntries = (Object.keys(fields) as K[]).flatMap((name) => {
    const message = errors.fields[name];
    return message === undefined ? [] : [{ ...fields[name], message }];
  });
  const count = (leading === undefined ? 0 : 1) + errors.form.length + fieldEntries.length;

  useEffect(() => {
    if (attempt > 0 && count > 0) ref.current?.focus();
  }, [attempt, count]);

  if (count === 0) return null;
  return (
    <div
      // A new element per attempt, so the same message twice is announced twice.
      key={attempt}
      ref={ref}
      className="error-summary"
      role="alert"
      tabIndex={-1}
      aria-labelledby={titleId}
    >
      <h2 id={titleId} className="error-summary-title">
        There is a problem
      </h2>
      <ul className="error-summary-list">
        {leading !== undefined && <li>{leading}</li>}
        {errors.form.map((message) => (
          <li key={message}>{message}</li>
        ))}
        {fieldEntries.map((entry) => (
          <li key={entry.id}>
            <a
              href={`#${entry.id}`}
              onClick={(event) => {
                event.preventDefault();
                document.getElementById(entry.id)?.focus();
              }}
            >
              {entry.label}: {entry.message}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
