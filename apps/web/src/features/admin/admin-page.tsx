import { Page } from '../../components/page';
import { AuditTable } from './audit-table';
import { UsersTable } from './users-table';

export function AdminPage() {
  return (
    <Page title="Admin">
      <UsersTable />
      <AuditTable />
    </Page>
  );
}
