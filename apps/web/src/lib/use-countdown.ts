import { useEffect, useState } from 'react';

function secondsUntil(deadline: number | null): number {
  return deadline === null ? 0 : Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
}

/**
 * Whole seconds left until `deadline` (milliseconds since the epoch), 0 once it has passed or
 * when there is none. Re-renders as each second ends, from the clock rather than by counting
 * ticks, so a throttled background tab still shows the right number when it comes back.
 */
export function useCountdown(deadline: number | null): number {
  const [tracked, setTracked] = useState(deadline);
  const [left, setLeft] = useState(() => secondsUntil(deadline));
  // A new deadline is read at once, in this render, not one stale frame later.
  if (tracked !== deadline) {
    setTracked(deadline);
    setLeft(secondsUntil(deadline));
  }

  useEffect(() => {
    if (deadline === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const remainingMs = deadline - Date.now();
      setLeft(Math.max(0, Math.ceil(remainingMs / 1000)));
      if (remainingMs <= 0) return;
      // Wake just after the displayed number changes.
      timer = setTimeout(tick, (remainingMs % 1000 || 1000) + 5);
    };
    tick();
    return () => {
      clearTimeout(timer);
    };
  }, [deadline]);

  return left;
}

/** "42 seconds", "1 second", "2 minutes 5 seconds": exact, since it counts down in front of you. */
export function formatCountdown(seconds: number): string {
  const unit = (value: number, name: string) => `${String(value)} ${name}${value === 1 ? '' : 's'}`;
  if (seconds < 60) return unit(seconds, 'second');
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0
    ? unit(minutes, 'minute')
    : `${unit(minutes, 'minute')} ${unit(rest, 'second')}`;
}
