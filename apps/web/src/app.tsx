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

// Screens behind sign-in (and registration, which pulls in the strength meter) load on demand:
// the first paint only needs the shell and the sign-in form, and the initial bundle has a budget.
const RegisterPage = lazy(async () => ({
  default: (await import('./features/auth/register-page')).RegisterPage,
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
const AdminPage = lazy(async () => ({
  default: (await import('./features/admin/admin-page')).AdminPage,
}));

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
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </AuthProvider>
  );
}
