import { auditEventTypes, type AuditEventType } from '@portcullis/contract/admin';
import { useId, useState, type SubmitEvent } from 'react';
import { auditEventLabels } from '../../lib/audit-event-labels';
import type { AuditFilters } from './admin-api';
import { FilterButtons, FilterInput, FilterSelect } from './filter-fields';

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
      <FilterInput
        id={`${id}actor`}
        label="Actor email"
        type="email"
        maxLength={254}
        value={actor}
        onChange={setActor}
      />
      <FilterInput
        id={`${id}target`}
        label="Target email"
        type="email"
        maxLength={254}
        value={target}
        onChange={setTarget}
      />
      <FilterInput
        id={`${id}from`}
        label="From"
        type="datetime-local"
        value={from}
        onChange={setFrom}
      />
      <FilterInput id={`${id}to`} label="To" type="datetime-local" value={to} onChange={setTo} />
      <FilterButtons submitLabel="Filter events" onClear={clear} />
    </form>
  );
}
