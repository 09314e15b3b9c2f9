import { useCallback, useEffect, useState, type ComponentType, type ReactNode } from 'react';
import { registerStepUpHandler } from '../../api/step-up';
import type { StepUpDialogProps } from './step-up-dialog';

interface Pending {
  Dialog: ComponentType<StepUpDialogProps>;
  resolve: (confirmed: boolean) => void;
  /** What had focus when the dialog opened (the button that asked), to return to after it. */
  returnFocus: Element | null;
}

/**
 * Answers the API client's step-up requests (api/step-up.ts) with a dialog, in place: the user
 * proves it is them and the refused action goes on where it was. The dialog's code is fetched
 * the first time it is needed, not with the first page.
 */
export function StepUpProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);

  useEffect(
    () =>
      registerStepUpHandler(async () => {
        let Dialog: ComponentType<StepUpDialogProps>;
        try {
          Dialog = (await import('./step-up-dialog')).StepUpDialog;
        } catch {
          // Without the dialog nobody can confirm; the refused action reports its refusal.
          return false;
        }
        return new Promise<boolean>((resolve) => {
          setPending({ Dialog, resolve, returnFocus: document.activeElement });
        });
      }),
    [],
  );

  const settle = useCallback(
    (confirmed: boolean) => {
      if (pending === null) return;
      pending.resolve(confirmed);
      setPending(null);
      // The dialog leaves the page rather than closing, so the browser restores nothing itself.
      if (pending.returnFocus instanceof HTMLElement && pending.returnFocus.isConnected) {
        pending.returnFocus.focus();
      }
    },
    [pending],
  );

  return (
    <>
      {children}
      {pending !== null && (
        <pending.Dialog
          onConfirmed={() => {
            settle(true);
          }}
          onCancel={() => {
            settle(false);
          }}
        />
      )}
    </>
  );
}
