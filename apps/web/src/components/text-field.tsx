import { useState, type ReactNode, type Ref } from 'react';

interface FieldShellProps {
  id: string;
  label: string;
  error: string | undefined;
  hint: ReactNode;
  optional: boolean;
  children: (describedBy: string | undefined) => ReactNode;
  extraDescribedBy: string | undefined;
  after?: ReactNode;
}

/** Label, hint and error around one control, wired with aria-describedby so all are announced. */
function FieldShell(props: FieldShellProps) {
  const hintId = props.hint === undefined ? undefined : `${props.id}-hint`;
  const errorId = props.error === undefined ? undefined : `${props.id}-error`;
  const describedBy =
    [hintId, errorId, props.extraDescribedBy].filter((value) => value !== undefined).join(' ') ||
    undefined;
  return (
    <div className={props.error === undefined ? 'field' : 'field field--error'}>
      <label className="field-label" htmlFor={props.id}>
        {props.label}
        {props.optional && <span className="field-optional"> (optional)</span>}
      </label>
      {hintId !== undefined && (
        <p id={hintId} className="field-hint">
          {props.hint}
        </p>
      )}
      {errorId !== undefined && (
        <p id={errorId} className="field-error">
          <span className="visually-hidden">Error: </span>
          {props.error}
        </p>
      )}
      {props.children(describedBy)}
      {props.after}
    </div>
  );
}

interface CommonFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: ReactNode;
  /** Ids of further descriptions of this field, such as a password strength meter. */
  describedBy?: string | undefined;
  optional?: boolean;
  /** Rendered under the control, inside the field. */
  after?: ReactNode;
}

interface TextFieldProps extends CommonFieldProps {
  type?: 'text' | 'email' | 'password';
  autoComplete: string;
  spellCheck?: boolean;
  /** The on-screen keyboard to offer: `numeric` for a code made of digits only. */
  inputMode?: 'text' | 'numeric';
  onFocus?: () => void;
  /** For a field that must take focus from outside (a dialog opening on it). */
  inputRef?: Ref<HTMLInputElement>;
}

export function TextField({
  type = 'text',
  optional = false,
  spellCheck,
  autoComplete,
  inputRef,
  inputMode,
  onFocus,
  ...props
}: TextFieldProps) {
  const [revealed, setRevealed] = useState(false);
  const isPassword = type === 'password';
  return (
    <FieldShell
      id={props.id}
      label={props.label}
      error={props.error}
      hint={props.hint}
      optional={optional}
      extraDescribedBy={props.describedBy}
      after={props.after}
    >
      {(describedBy) => (
        <div className={isPassword ? 'input-row' : undefined}>
          <input
            ref={inputRef}
            id={props.id}
            name={props.id}
            className="input"
            type={isPassword && revealed ? 'text' : type}
            value={props.value}
            onChange={(event) => {
              props.onChange(event.target.value);
            }}
            autoComplete={autoComplete}
            inputMode={inputMode}
            onFocus={onFocus}
            spellCheck={isPassword ? false : spellCheck}
            autoCapitalize={type === 'text' ? undefined : 'none'}
            required={!optional}
            aria-invalid={props.error === undefined ? undefined : true}
            aria-describedby={describedBy}
          />
          {isPassword && (
            // NIST SP 800-63B §5.1.1.2 asks verifiers to offer showing the password while typing.
            // The label says what pressing does next ("Hide" once shown); a pressed state on top
            // of a changing label would contradict it, so there is none.
            <button
              type="button"
              className="button button--secondary input-reveal"
              aria-controls={props.id}
              data-revealed={revealed}
              onClick={() => {
                setRevealed((value) => !value);
              }}
            >
              {revealed ? 'Hide' : 'Show'}
              <span className="visually-hidden"> password</span>
            </button>
          )}
        </div>
      )}
    </FieldShell>
  );
}

interface TextAreaFieldProps extends CommonFieldProps {
  rows?: number;
}

export function TextAreaField({ rows = 6, optional = false, ...props }: TextAreaFieldProps) {
  return (
    <FieldShell
      id={props.id}
      label={props.label}
      error={props.error}
      hint={props.hint}
      optional={optional}
      extraDescribedBy={props.describedBy}
      after={props.after}
    >
      {(describedBy) => (
        <textarea
          id={props.id}
          name={props.id}
          className="input textarea"
          rows={rows}
          value={props.value}
          onChange={(event) => {
            props.onChange(event.target.value);
          }}
          required={!optional}
          aria-invalid={props.error === undefined ? undefined : true}
          aria-describedby={describedBy}
        />
      )}
    </FieldShell>
  );
}

interface CurrentPasswordFieldProps extends Omit<TextFieldProps, 'type' | 'autoComplete'> {
  /** The signed-in account's email address. */
  email: string | undefined;
}

/**
 * The signed-in user's password, asked again to confirm a change. The hidden username beside it
 * tells password managers whose password this is, so they fill, or update, the right entry.
 */
export function CurrentPasswordField({ email, ...props }: CurrentPasswordFieldProps) {
  return (
    <>
      {email !== undefined && (
        <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      )}
      <TextField {...props} type="password" autoComplete="current-password" />
    </>
  );
}
