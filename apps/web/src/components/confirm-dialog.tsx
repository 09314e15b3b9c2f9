import { useEffect, useId, useRef, type ReactNode, type RefObject } from 'react';
import { ActionButton } from './action-button';

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** The confirm button's text while busy; "Deleting…" unless said otherwise. */
  busyLabel?: string;
  busy: boolean;
  /**
   * Controls the user fills in before confirming (a password asked again). Outside the
   * description, so the dialog's accessible description stays the sentence that explains it.
   */
  controls?: ReactNode;
  /**
   * The id of the form in `controls`: the confirm button then submits it, so Enter in a field
   * confirms as a click does, and `onConfirm` is left to that form's submit handler.
   */
  confirmForm?: string;
  /** What takes focus on opening; the Cancel button unless a control needs typing into first. */
  initialFocusRef?: RefObject<HTMLElement | null>;
  error: string | undefined;
  /** `danger` (the default) for what destroys; `primary` for a dialog that only asks to go on. */
  tone?: 'danger' | 'primary';
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
  const { open, initialFocusRef } = props;

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog === null) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // The safe choice has focus, so a stray Enter does not destroy anything.
      (initialFocusRef?.current ?? cancelRef.current)?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open, initialFocusRef]);

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
      {props.controls}
      {props.error !== undefined && (
        <p role="alert" className="alert alert--error">
          {props.error}
        </p>
      )}
      <div className="button-row">
        <ActionButton
          type={props.confirmForm === undefined ? 'button' : 'submit'}
          form={props.confirmForm}
          className={props.tone === 'primary' ? 'button' : 'button button--danger'}
          unavailable={props.busy}
          onClick={props.confirmForm === undefined ? props.onConfirm : undefined}
        >
          {props.busy ? (props.busyLabel ?? 'Deleting…') : props.confirmLabel}
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
