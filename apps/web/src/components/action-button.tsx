import type { ComponentProps, MouseEvent } from 'react';

interface ActionButtonProps extends Omit<ComponentProps<'button'>, 'disabled'> {
  /**
   * The button does nothing for now (busy, or nothing to do). It says so with `aria-disabled`
   * instead of `disabled`: a disabled button drops keyboard focus to the page body, so whoever
   * pressed it would have to find their place again (WCAG 2.4.3), and it leaves the tab order
   * where its description (why it is unavailable) can no longer be heard.
   */
  unavailable?: boolean;
}

/** A button that keeps focus while unavailable; clicks and form submits are ignored meanwhile. */
export function ActionButton({ unavailable = false, onClick, ...props }: ActionButtonProps) {
  const handleClick = (event: MouseEvent<HTMLButtonElement>) => {
    if (unavailable) {
      // A submit button would still submit its form: only preventDefault stops that.
      event.preventDefault();
      return;
    }
    onClick?.(event);
  };
  return (
    <button
      type="button"
      {...props}
      aria-disabled={unavailable ? true : undefined}
      onClick={handleClick}
    />
  );
}
