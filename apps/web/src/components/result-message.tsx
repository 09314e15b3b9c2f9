import { useEffect, useId, useRef, type ReactNode } from 'react';

interface ResultMessageProps {
  tone: 'success' | 'error';
  title: string;
  children?: ReactNode;
}

/**
 * The outcome of what a page did (a link followed, a request sent). It takes focus when it appears,
 * so a keyboard user continues from it and a screen reader reads it at once, whether the page was
 * just opened from a mail or the user pressed a button; a failure is an alert, a success a status.
 * Render it with a `key` per outcome so a new outcome takes focus again.
 */
export function ResultMessage({ tone, title, children }: ResultMessageProps) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();

  useEffect(() => {
    ref.current?.focus();
  }, []);

  return (
    <div
      ref={ref}
      tabIndex={-1}
      role={tone === 'error' ? 'alert' : 'status'}
      aria-labelledby={titleId}
      className={`result result--${tone}`}
    >
      <h2 id={titleId} className="result-title">
        {title}
      </h2>
      {children}
    </div>
  );
}
