import {
  lastSignInFilters,
  userStatuses,
  type LastSignInFilter,
  type UserStatus,
} from '@portcullis/contract/admin';
import { roles, type Role } from '@portcullis/contract/roles';
import { useId, useState, type SubmitEvent } from 'react';
import { roleLabels } from '../auth/permissions';
import type { UserFilters } from './admin-api';

export const userStatusLabels: Record<UserStatus, string> = {
  active: 'Active',
  unverified: 'Not confirmed',
  locked: 'Locked',
  disabled: 'Disabled',
};

const lastSignInOptions: Record<LastSignInFilter, string> = {
  never: 'Never signed in',
  'within-7d': 'In the last 7 days',
  'within-30d': 'In the last 30 days',
  'over-30d': 'Over 30 days ago',
};

/** An option's value back to the union it came from; "" (any) is undefined. */
function pick<T extends string>(allowed: readonly T[], value: string): T | undefined {
  return allowed.find((candidate) => candidate === value);
}

interface UserFiltersFormProps {
  applied: UserFilters;
  onApply: (filters: UserFilters) => void;
}

/**
 * Applied with a button, not on every keystroke or `change`: each application reads the list
 * again, and a select fires `change` for every arrow key press in some browsers.
 */
export function UserFiltersForm({ applied, onApply }: UserFiltersFormProps) {
  const id = useId();
  const [q, setQ] = useState(applied.q ?? '');
  const [role, setRole] = useState<Role | undefined>(applied.role);
  const [status, setStatus] = useState<UserStatus | undefined>(applied.status);
  const [lastSignIn, setLastSignIn] = useState<LastSignInFilter | undefined>(applied.lastSignIn);

  const handleSubmit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const query = q.trim();
    onApply({
      ...(query === '' ? {} : { q: query }),
      ...(role === undefined ? {} : { role }),
      ...(status === undefined ? {} : { status }),
      ...(lastSignIn === undefined ? {} : { lastSignIn }),
    });
  };

  const clear = () => {
    setQ('');
    setRole(undefined);
    setStatus(undefined);
    setLastSignIn(undefined);
    onApply({});
  };

  return (
    <form className="filters" role="search" aria-label="Find users" onSubmit={handleSubmit}>
      <div className="filter filter--wide">
        <label htmlFor={`${id}q`}>Search</label>
        <input
          id={`${id}q`}
          className="input"
          type="search"
          maxLength={100}
          value={q}
          onChange={(event) => {
            setQ(event.target.value);
          }}
          aria-describedby={`${id}q-hint`}
        />
        <p id={`${id}q-hint`} className="field-hint">
          Part of an email address or name.
        </p>
      </div>
      <div className="filter">
        <label htmlFor={`${id}role`}>Role</label>
        <select
          id={`${id}role`}
          className="input select"
          value={role ?? ''}
          onChange={(event) => {
            setRole(pick(roles, event.target.value));
          }}
        >
          <option value="">Any role</option>
          {roles.map((value) => (
            <option key={value} value={value}>
              {roleLabels[value]}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor={`${id}status`}>Status</label>
        <select
          id={`${id}status`}
          className="input select"
          value={status ?? ''}
          onChange={(event) => {
            setStatus(pick(userStatuses, event.target.value));
          }}
        >
          <option value="">Any status</option>
          {userStatuses.map((value) => (
            <option key={value} value={value}>
              {userStatusLabels[value]}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor={`${id}last`}>Last sign-in</label>
        <select
          id={`${id}last`}
          className="input select"
          value={lastSignIn ?? ''}
          onChange={(event) => {
            setLastSignIn(pick(lastSignInFilters, event.target.value));
          }}
        >
          <option value="">Any time</option>
          {lastSignInFilters.map((value) => (
            <option key={value} value={value}>
              {lastSignInOptions[value]}
            </option>
          ))}
        </select>
      </div>
      <div className="button-row filter-buttons">
        <button type="submit" className="button button--small">
          Search users
        </button>
        <button type="button" className="button button--secondary button--small" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
