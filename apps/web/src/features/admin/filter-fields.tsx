/**
 * One filter of an admin list: a labelled select over a contract enum, with "any" as the empty
 * choice. The value comes back typed as the enum (or undefined for "any"), never as free text.
 */
export function FilterSelect<T extends string>({
  id,
  label,
  anyLabel,
  values,
  labels,
  value,
  onChange,
}: {
  id: string;
  label: string;
  anyLabel: string;
  values: readonly T[];
  labels: Record<T, string>;
  value: T | undefined;
  onChange: (value: T | undefined) => void;
}) {
  return (
    <div className="filter">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        className="input select"
        value={value ?? ''}
        onChange={(event) => {
          onChange(values.find((candidate) => candidate === event.target.value));
        }}
      >
        <option value="">{anyLabel}</option>
        {values.map((option) => (
          <option key={option} value={option}>
            {labels[option]}
          </option>
        ))}
      </select>
    </div>
  );
}

/** One free-text (or date) filter of an admin list, with an optional hint under it. */
export function FilterInput({
  id,
  label,
  type,
  value,
  onChange,
  maxLength,
  hint,
}: {
  id: string;
  label: string;
  type: 'search' | 'email' | 'datetime-local';
  value: string;
  onChange: (value: string) => void;
  maxLength?: number;
  hint?: string;
}) {
  return (
    <div className={type === 'datetime-local' ? 'filter' : 'filter filter--wide'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input"
        type={type}
        // An email filter is a search term, not the user's own address to fill in.
        {...(type === 'email' ? { autoComplete: 'off' } : {})}
        {...(maxLength === undefined ? {} : { maxLength })}
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
        }}
        {...(hint === undefined ? {} : { 'aria-describedby': `${id}-hint` })}
      />
      {hint !== undefined && (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}

/** Applies the filters, or clears them all (which applies at once). */
export function FilterButtons({
  submitLabel,
  onClear,
}: {
  submitLabel: string;
  onClear: () => void;
}) {
  return (
    <div className="button-row filter-buttons">
      <button type="submit" className="button button--small">
        {submitLabel}
      </button>
      <button type="button" className="button button--secondary button--small" onClick={onClear}>
        Clear
      </button>
    </div>
  );
}
