import { auditEventTypes, type AuditEventType } from '@portcullis/contract/admin';
import { useId, useState, type SubmitEvent } from 'react';
import { auditEventLabels } from '../../lib/audit-event-labels';
import type { AuditFilters } from './admin-api';
import { FilterSelect } from './filter-select';

type Outcome = NonNullable<AuditFilters['outcome']>;
const outcomes: readonly Outcome[] = ['success', 'failure'];
const outcomeLabels: Record<Outcome, string> = { success: 'Success', failure: 'Failure' };

/** Event types in the order an admin reads them: by their label. */
const sortedTypes = [...auditEventTypes].sort((a, b) =>
  auditEventLabels[a].localeCompare(auditEventLabels[b]),
);

/**
 * `<input type="datetime-local">` gives local wall-clock time without a zone; the API takes an
 * instant, so it is read in this browser's zone (what the admin sees in the table) and sent as UTC.
 */
function toInstant(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

interface AuditFiltersFormProps {
  onApply: (filters: AuditFilters) => void;
}

export function AuditFiltersForm({ onApply }: AuditFiltersFormProps) {
  const id = useId();
  const [type, setType] = useState<AuditEventType | undefined>();
  const [actor, setActor] = useState('');
  const [target, setTarget] = useState('');
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const fromInstant = toInstant(from);
    const toInstantValue = toInstant(to);
    onApply({
      ...(type === undefined ? {} : { type }),
      ...(actor.trim() === '' ? {} : { actor: actor.trim().toLowerCase() }),
      ...(target.trim() === '' ? {} : { target: target.trim().toLowerCase() }),
      ...(outcome === undefined ? {} : { outcome }),
      ...(fromInstant === undefined ? {} : { from: fromInstant }),
      ...(toInstantValue === undefined ? {} : { to: toInstantValue }),
    });
  };

  const clear = () => {
    setType(undefined);
    setActor('');
    setTarget('');
    setOutcome(undefined);
    setFrom('');
    setTo('');
    onApply({});
  };

  return (
    <form
      className="filters"
      role="search"
      aria-label="Filter the audit log"
      onSubmit={handleSubmit}
    >
      <FilterSelect
        id={`${id}type`}
        label="Event"
        anyLabel="Any event"
        values={sortedTypes}
        labels={auditEventLabels}
        value={type}
        onChange={setType}
      />
      <FilterSelect
        id={`${id}outcome`}
        label="Outcome"
        anyLabel="Any outcome"
        values={outcomes}
        labels={outcomeLabels}
        value={outcome}
        onChange={setOutcome}
      />
      <div className="filter filter--wide">
        <label htmlFor={`${id}actor`}>Actor email</label>
        <input
          id={`${id}actor`}
          className="input"
          type="email"
          autoComplete="off"
          maxLength={254}
          value={actor}
          onChange={(event) => {
            setActor(event.target.value);
          }}
        />
      </div>
      <div className="filter filter--wide">
        <label htmlFor={`${id}target`}>Target email</label>
        <input
          id={`${id}target`}
          className="input"
          type="email"
          autoComplete="off"
          maxLength={254}
          value={target}
          onChange={(event) => {
            setTarget(event.target.value);
          }}
        />
      </div>
      <div className="filter">
        <label htmlFor={`${id}from`}>From</label>
        <input
          id={`${id}from`}
          className="input"
          type="datetime-local"
          value={from}
          onChange={(event) => {
            setFrom(event.target.value);
          }}
        />
      </div>
      <div className="filter">
        <label htmlFor={`${id}to`}>To</label>
        <input
          id={`${id}to`}
          className="input"
          type="datetime-local"
          value={to}
          onChange={(event) => {
            setTo(event.target.value);
          }}
        />
      </div>
      <div className="button-row filter-buttons">
        <button type="submit" className="button button--small">
          Filter events
        </button>
        <button type="button" className="button button--secondary button--small" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
