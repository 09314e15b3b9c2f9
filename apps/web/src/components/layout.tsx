import type { MouseEvent } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { useAuth } from '../features/auth/auth-context';
import { canAdminister, roleLabels } from '../features/auth/permissions';
import { SignOutButton } from '../features/auth/sign-out-button';

function focusMain(event: MouseEvent<HTMLAnchorElement>) {
  // Handled here rather than by the browser so the router does not see a hash navigation.
  event.preventDefault();
  document.getElementById('main')?.focus();
}

function Navigation() {
  const { state } = useAuth();
  if (state.status === 'loading') return null;
  const links =
    state.status === 'authenticated'
      ? [
          { to: '/notes', label: 'Notes' },
          { to: '/secure-data', label: 'Secure data' },
          { to: '/profile', label: 'Profile' },
          ...(canAdminister(state.user.role) ? [{ to: '/admin', label: 'Admin' }] : []),
        ]
      : [
          { to: '/sign-in', label: 'Sign in' },
          { to: '/register', label: 'Register' },
        ];
  return (
    <nav aria-label="Main" className="site-nav">
      <ul>
        {links.map((link) => (
          <li key={link.to}>
            <NavLink to={link.to} className="nav-link">
              {link.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Account() {
  const { state } = useAuth();
  if (state.status !== 'authenticated') return null;
  return (
    <div className="account">
      <span className="account-name">
        <span className="visually-hidden">Signed in as </span>
        {state.user.name}
        <span className="role-badge" data-role={state.user.role}>
          {roleLabels[state.user.role]}
        </span>
      </span>
      <SignOutButton />
    </div>
  );
}

export function Layout() {
  return (
    <>
      <a className="skip-link" href="#main" onClick={focusMain}>
        Skip to main content
      </a>
      <header className="site-header">
        <div className="container header-inner">
          <Link to="/" className="brand">
            Portcullis
          </Link>
          <Navigation />
          <Account />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="container site-main">
        <Outlet />
      </main>
      <footer className="site-footer">
        <div className="container">Portcullis · secure by default</div>
      </footer>
    </>
  );
}
