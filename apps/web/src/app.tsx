import { accountLinkPaths } from '@portcullis/contract/account';
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Route, Routes, useLocation } from 'react-router';
import { Layout } from './components/layout';
import { RouteErrorBoundary } from './components/route-error-boundary';
import { Loading } from './components/status-message';
import { AuthProvider } from './features/auth/auth-context';
import { RequireAuth } from './features/auth/require-auth';
import { SignInPage } from './features/auth/sign-in-page';
import { HomePage } from './features/home/home-page';
import { NotFoundPage } from './features/not-found/not-found-page';
import { StepUpProvider } from './features/step-up/step-up-provider';

// Screens behind sign-in (and registration, which pulls in the strength meter) load on demand:
// the first paint only needs the shell and the sign-in form, and the initial bundle has a budget.
const RegisterPage = lazy(async () => ({
  default: (await import('./features/auth/register-page')).RegisterPage,
}));
// The account pages are reached from a mail or once in a while: none belongs in the first paint.
const CheckInboxPage = lazy(async () => ({
  default: (await import('./features/account/check-inbox-page')).CheckInboxPage,
}));
const VerifyEmailPage = lazy(async () => ({
  default: (await import('./features/account/verify-email-page')).VerifyEmailPage,
}));
const ForgotPasswordPage = lazy(async () => ({
  default: (await import('./features/account/forgot-password-page')).ForgotPasswordPage,
}));
const ResetPasswordPage = lazy(async () => ({
  default: (await import('./features/account/reset-password-page')).ResetPasswordPage,
}));
const ConfirmEmailPage = lazy(async () => ({
  default: (await import('./features/account/confirm-email-page')).ConfirmEmailPage,
}));
const UndoEmailChangePage = lazy(async () => ({
  default: (await import('./features/account/undo-email-change-page')).UndoEmailChangePage,
}));
const NotMePage = lazy(async () => ({
  default: (await import('./features/account/not-me-page')).NotMePage,
}));
const NotesPage = lazy(async () => ({
  default: (await import('./features/notes/notes-page')).NotesPage,
}));
const SecureDataPage = lazy(async () => ({
  default: (await import('./features/secure-data/secure-data-page')).SecureDataPage,
}));
const ProfilePage = lazy(async () => ({
  default: (await import('./features/profile/profile-page')).ProfilePage,
}));
const SecurityPage = lazy(async () => ({
  default: (await import('./features/security/security-page')).SecurityPage,
}));
const AcceptInvitePage = lazy(async () => ({
  default: (await import('./features/account/accept-invite-page')).AcceptInvitePage,
}));
// One chunk for the admin area: its three screens share nearly all their code.
const adminPages = () => import('./features/admin/admin-pages');
const AdminPage = lazy(async () => ({ default: (await adminPages()).AdminPage }));
const AdminUsersPage = lazy(async () => ({ default: (await adminPages()).AdminUsersPage }));
const AdminAuditPage = lazy(async () => ({ default: (await adminPages()).AdminAuditPage }));

function Screen({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <RouteErrorBoundary resetKey={pathname}>
      <Suspense fallback={<Loading />}>{children}</Suspense>
    </RouteErrorBoundary>
  );
}

function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route
          index
          element={
            <Screen>
              <HomePage />
            </Screen>
          }
        />
        <Route
          path="sign-in"
          element={
            <Screen>
              <SignInPage />
            </Screen>
          }
        />
        <Route
          path="register"
          element={
            <Screen>
              <RegisterPage />
            </Screen>
          }
        />
        <Route
          path="check-inbox"
          element={
            <Screen>
              <CheckInboxPage />
            </Screen>
          }
        />
        <Route
          path="forgot-password"
          element={
            <Screen>
              <ForgotPasswordPage />
            </Screen>
          }
        />
        {/* Where mailed links land (accountLinkPaths in the contract); the token is in the fragment. */}
        <Route
          path={accountLinkPaths.verifyEmail}
          element={
            <Screen>
              <VerifyEmailPage />
            </Screen>
          }
        />
        <Route
          path={accountLinkPaths.resetPassword}
          element={
            <Screen>
              <ResetPasswordPage />
            </Screen>
          }
        />
        <Route
          path={accountLinkPaths.confirmEmailChange}
          element={
            <Screen>
              <ConfirmEmailPage />
            </Screen>
          }
        />
        <Route
          path={accountLinkPaths.undoEmailChange}
          element={
            <Screen>
              <UndoEmailChangePage />
            </Screen>
          }
        />
        <Route
          path={accountLinkPaths.notMe}
          element={
            <Screen>
              <NotMePage />
            </Screen>
          }
        />
        <Route
          path="notes"
          element={
            <Screen>
              <RequireAuth>
                <NotesPage />
              </RequireAuth>
            </Screen>
          }
        />
        <Route
          path="secure-data"
          element={
            <Screen>
              <RequireAuth>
                <SecureDataPage />
              </RequireAuth>
            </Screen>
          }
        />
        <Route
          path="profile"
          element={
            <Screen>
              <RequireAuth>
                <ProfilePage />
              </RequireAuth>
            </Screen>
          }
        />
        <Route
          path={accountLinkPaths.acceptInvite}
          element={
            <Screen>
              <AcceptInvitePage />
            </Screen>
          }
        />
        <Route
          path="profile/security"
          element={
            <Screen>
              <RequireAuth>
                <SecurityPage />
              </RequireAuth>
            </Screen>
          }
        />
        <Route
          path="admin"
          element={
            <Screen>
              <RequireAuth roles={['admin']}>
                <AdminPage />
              </RequireAuth>
            </Screen>
          }
        />
        <Route
          path="admin/users"
          element={
            <Screen>
              <RequireAuth roles={['admin']}>
                <AdminUsersPage />
              </RequireAuth>
            </Screen>
          }
        />
        <Route
          path="admin/audit"
          element={
            <Screen>
              <RequireAuth roles={['admin']}>
                <AdminAuditPage />
              </RequireAuth>
            </Screen>
          }
        />
        <Route
          path="*"
          element={
            <Screen>
              <NotFoundPage />
            </Screen>
          }
        />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <AuthProvider>
      <StepUpProvider>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </StepUpProvider>
    </AuthProvider>
  );
}
