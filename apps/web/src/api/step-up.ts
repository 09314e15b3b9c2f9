/**
 * Step-up (ADR 015): the server refuses a sensitive action with `reauthentication_required` when
 * the session's last authentication is too old. The API client cannot show a dialog, so the UI
 * registers a handler that asks the user to prove it is them again; the client then repeats the
 * refused request, so every sensitive call gets step-up without knowing about it.
 */
export type StepUpHandler = () => Promise<boolean>;

let handler: StepUpHandler | undefined;
let inFlight: Promise<boolean> | undefined;

/** Registers the dialog that asks; returns the function that unregisters it. */
export function registerStepUpHandler(next: StepUpHandler): () => void {
  handler = next;
  return () => {
    if (handler === next) handler = undefined;
  };
}

/**
 * Resolves true once the user has re-authenticated, false when they declined (or nobody can ask).
 * Requests refused at the same moment share one dialog rather than stacking one each.
 */
export function stepUp(): Promise<boolean> {
  if (handler === undefined) return Promise.resolve(false);
  const ask = handler;
  inFlight ??= ask().finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}
