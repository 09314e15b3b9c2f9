import { useEffect, useId, useRef, type ReactNode } from 'react';
import { ActionButton } from './action-button';

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy: boolean;
  error: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal confirmation on the native <dialog>: the browser traps focus, closes it on Escape and
 * makes the page behind it inert, which hand-made modals often get wrong.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const { open } = props;

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog === null) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // The safe choice has focus, so a stray Enter does not destroy anything.
      cancelRef.current?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      onCancel={(event) => {
        // Escape closes through the state, at once: the native close event arrives a task later,
        // and acting on it then could shut a dialog that was reopened in between.
        event.preventDefault();
        if (!props.busy) props.onCancel();
      }}
      onClose={() => {
        // Chromium may ignore preventDefault on repeated Escapes; keep the state in step.
        if (open && dialogRef.current?.open === false) props.onCancel();
      }}
    >
      <h2 id={titleId} className="dialog-title">
        {props.title}
      </h2>
      <div id={descriptionId}>{props.children}</div>
      {props.error !== undefined && (
        <p role="alert" className="alert alert--error">
          {props.error}
        </p>
      )}
      <div className="button-row">
        <ActionButton
          className="button button--danger"
          unavailable={props.busy}
          onClick={props.onConfirm}
        >
          {props.busy ? 'Deleting…' : props.confirmLabel}
        </ActionButton>
        <ActionButton
          ref={cancelRef}
          className="button button--secondary"
          unavailable={props.busy}
          onClick={props.onCancel}
        >
          Cancel
        </ActionButton>
      </div>
    </dialog>
  );
}
