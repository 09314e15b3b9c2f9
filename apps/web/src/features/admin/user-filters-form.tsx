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
import { FilterButtons, FilterInput, FilterSelect } from './filter-fields';

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
      <FilterInput
        id={`${id}q`}
        label="Search"
        type="search"
        maxLength={100}
        value={q}
        onChange={setQ}
        hint="Part of an email address or name."
      />
      <FilterSelect
        id={`${id}role`}
        label="Role"
        anyLabel="Any role"
        values={roles}
        labels={roleLabels}
        value={role}
        onChange={setRole}
      />
      <FilterSelect
        id={`${id}status`}
        label="Status"
        anyLabel="Any status"
        values={userStatuses}
        labels={userStatusLabels}
        value={status}
        onChange={setStatus}
      />
      <FilterSelect
        id={`${id}last`}
        label="Last sign-in"
        anyLabel="Any time"
        values={lastSignInFilters}
        labels={lastSignInOptions}
        value={lastSignIn}
        onChange={setLastSignIn}
      />
      <FilterButtons submitLabel="Search users" onClear={clear} />
    </form>
  );
}
