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
