import type { Role } from '@portcullis/contract/roles';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { Page } from '../../components/page';
import { LoadFailed, Loading } from '../../components/status-message';
import { useAuth } from './auth-context';
import { ForbiddenPage } from './forbidden-page';
import type { SignInNotice } from './sign-in-notice';

/** Where a second factor is set up. */
export const securityPagePath = '/profile/security';

interface RequireAuthProps {
  children: ReactNode;
  /** Roles allowed in; any signed-in user when absent. */
  roles?: readonly Role[];
}

/** Guards a screen: anonymous visitors go to sign-in and come back here afterwards. */
export function RequireAuth({ children, roles }: RequireAuthProps) {
  const { state, reload, secondFactorSetupRequired } = useAuth();
  const location = useLocation();

  switch (state.status) {
    case 'loading':
      return <Loading />;
    case 'unavailable':
      return (
        <Page title="Cannot reach Portcullis">
          <LoadFailed error={state.error} onRetry={reload} />
        </Page>
      );
    case 'anonymous': {
      // After a deliberate sign-out (or deletion) there is nothing to come back to.
      const next =
        state.reason === 'signed-out' || state.reason === 'account-deleted'
          ? ''
          : `?next=${encodeURIComponent(`${location.pathname}${location.search}`)}`;
      const notice: SignInNotice | null =
        state.reason === 'initial' ? null : { notice: state.reason };
      return <Navigate to={`/sign-in${next}`} state={notice} replace />;
    }
    case 'authenticated':
      // Until the address is confirmed the server refuses everything else (email_not_verified).
      if (!state.user.emailVerified) return <Navigate to="/check-inbox" replace />;
      // The server refuses everything but factor setup until the role's required factor exists.
      if (secondFactorSetupRequired && location.pathname !== securityPagePath) {
        return <Navigate to={securityPagePath} replace />;
      }
      if (roles !== undefined && !roles.includes(state.user.role)) return <ForbiddenPage />;
      return children;
  }
}
