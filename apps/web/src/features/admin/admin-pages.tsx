import { NavLink } from 'react-router';
import { Page } from '../../components/page';
import { AuditTable } from './audit-table';
import { UsersTable } from './users-table';

/** The admin area's own links: both lists together, or one at a time with room to work. */
function AdminNav() {
  return (
    <nav aria-label="Admin" className="sub-nav">
      <ul>
        <li>
          <NavLink to="/admin" end className="sub-nav-link">
            Overview
          </NavLink>
        </li>
        <li>
          <NavLink to="/admin/users" className="sub-nav-link">
            Users
          </NavLink>
        </li>
        <li>
          <NavLink to="/admin/audit" className="sub-nav-link">
            Audit log
          </NavLink>
        </li>
      </ul>
    </nav>
  );
}

/** Users and the audit log side by side, as an admin checks on both at once. */
export function AdminPage() {
  return (
    <Page title="Admin">
      <AdminNav />
      <UsersTable />
      <AuditTable />
    </Page>
  );
}

export function AdminUsersPage() {
  return (
    <Page title="Admin: users">
      <AdminNav />
      <UsersTable />
    </Page>
  );
}

export function AdminAuditPage() {
  return (
    <Page title="Admin: audit log">
      <AdminNav />
      <AuditTable />
    </Page>
  );
}
