import { Link } from 'react-router';
import { Page } from '../../components/page';
import { useCurrentUser } from '../auth/auth-context';
import { canManageOwnData } from '../auth/permissions';
import { ActivityPanel } from './activity-panel';
import { DeleteAccountPanel } from './delete-account-panel';
import { ExportDataPanel } from './export-data-panel';
import { SessionsPanel } from './sessions-panel';

export function SecurityPage() {
  const user = useCurrentUser();
  return (
    <Page title="Security">
      <p className="breadcrumb">
        <Link to="/profile">Back to your profile</Link>
      </p>
      <SessionsPanel />
      <ActivityPanel />
      {canManageOwnData(user.role) && (
        <>
          <ExportDataPanel />
          <DeleteAccountPanel />
        </>
      )}
    </Page>
  );
}
