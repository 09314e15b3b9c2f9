import { messageForCode } from '../../api/api-error';
import { Link } from 'react-router';
import { Page } from '../../components/page';
import { useAuth, useCurrentUser } from '../auth/auth-context';
import { canManageOwnData } from '../auth/permissions';
import { ActivityPanel } from './activity-panel';
import { DeleteAccountPanel } from './delete-account-panel';
import { ExportDataPanel } from './export-data-panel';
import { SessionsPanel } from './sessions-panel';
import { TwoFactorPanel } from './two-factor-panel';
import { LinkedProvidersSection } from '../federation/linked-providers-section';

export function SecurityPage() {
  const user = useCurrentUser();
  const { secondFactorSetupRequired, secondFactorEnrolled } = useAuth();
  return (
    <Page title="Security">
      {secondFactorSetupRequired ? (
        // Every other panel would only be refused by the server until a factor exists.
        <div role="alert" className="notice">
          <p>
            <strong>{messageForCode('mfa_enrollment_required')}</strong>
          </p>
          <p>
            Set up an authenticator app or add a passkey below. The rest of Portcullis opens as soon
            as you have one.
          </p>
        </div>
      ) : (
        <p className="breadcrumb">
          <Link to="/profile">Back to your profile</Link>
        </p>
      )}
      {/* First and always in the same place, so finishing setup does not reset what it shows. */}
      <TwoFactorPanel
        setupRequired={secondFactorSetupRequired}
        onFirstFactor={secondFactorEnrolled}
      />
      {!secondFactorSetupRequired && (
        <>
          <LinkedProvidersSection />
          <SessionsPanel />
          <ActivityPanel />
          {canManageOwnData(user.role) && (
            <>
              <ExportDataPanel />
              <DeleteAccountPanel />
            </>
          )}
        </>
      )}
    </Page>
  );
}
