import { useId, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { useAuth, type AuthState } from '../features/auth/auth-context';
import { canAdminister, roleLabels } from '../features/auth/permissions';
import { SignOutButton } from '../features/auth/sign-out-button';

function focusMain(event: MouseEvent<HTMLAnchorElement>) {
  // Handled here rather than by the browser so the router does not see a hash navigation.
  event.preventDefault();
  document.getElementById('main')?.focus();
}

interface NavItem {
  to: string;
  label: string;
}

function navItems(state: AuthState): NavItem[] {
  if (state.status !== 'authenticated') {
    return [
      { to: '/sign-in', label: 'Sign in' },
      { to: '/register', label: 'Register' },
    ];
  }
  // Until the address is confirmed there is one page (check your inbox), so nothing to link.
  if (!state.user.emailVerified) return [];
  return [
    { to: '/notes', label: 'Notes' },
    { to: '/secure-data', label: 'Secure data' },
    { to: '/profile', label: 'Profile' },
    ...(canAdminister(state.user.role) ? [{ to: '/admin', label: 'Admin' }] : []),
  ];
}

function Navigation() {
  const { state } = useAuth();
  const links = navItems(state);
  if (links.length === 0) return null;
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

/**
 * The navigation and the account controls. On a narrow screen a signed-in user's links, name and
 * sign-out would take three or four rows of the header, so there they fold behind a Menu button
 * (a disclosure: a button with aria-expanded, plain links inside). Escape closes it and returns
 * focus to the button; following a link closes it. Shown or hidden by a data attribute and the
 * stylesheet, since the CSP allows no inline style.
 */
function SiteMenu() {
  const { state } = useAuth();
  const { pathname } = useLocation();
  const [open, setOpen] = useState(false);
  const [openedAt, setOpenedAt] = useState(pathname);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  // A new screen closes the menu: the link was followed, so the menu has done its job.
  if (openedAt !== pathname) {
    setOpenedAt(pathname);
    setOpen(false);
  }

  if (state.status === 'loading') return null;
  const collapsible = state.status === 'authenticated';

  const closeOnEscape = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || !open) return;
    event.preventDefault();
    setOpen(false);
    toggleRef.current?.focus();
  };

  return (
    <>
      {collapsible && (
        <button
          ref={toggleRef}
          type="button"
          className="button button--secondary button--small menu-toggle"
          aria-expanded={open}
          aria-controls={menuId}
          onClick={() => {
            setOpen((value) => !value);
          }}
          onKeyDown={closeOnEscape}
        >
          Menu
        </button>
      )}
      <div
        id={menuId}
        className="site-menu"
        data-collapsible={collapsible}
        data-open={open}
        onKeyDown={closeOnEscape}
      >
        <Navigation />
        <Account />
      </div>
    </>
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
          <SiteMenu />
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
