import type { LoginBody, User } from '@portcullis/contract/auth';
import {
  createContext,
  use,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { isAbortError } from '../../api/api-error';
import { subscribeSessionEvents } from '../../api/session-events';
import { invalidateCsrfToken } from '../../api/csrf-token';
import { announceSessionChange, startSessionSync } from '../../api/session-sync';
import { fetchCurrentUser } from '../../api/api-client';
import {
  currentSessionRequest,
  mustEnrolSecondFactorRequest,
  signInRequest,
  signOutRequest,
  type SignInOutcome,
} from './auth-api';

/** Why nobody is signed in, so the sign-in page can say the right thing. */
export type AnonymousReason = 'initial' | 'signed-out' | 'session-ended' | 'account-deleted';

export type AuthState =
  | { status: 'loading' }
  | { status: 'unavailable'; error: unknown }
  | { status: 'anonymous'; reason: AnonymousReason }
  | { status: 'authenticated'; user: User };

interface AuthContextValue {
  state: AuthState;
  /**
   * The password step. Resolves once signed in, or with the factors to continue with; the second
   * step (or a passkey) then ends in `signedIn`.
   */
  signIn: (body: LoginBody) => Promise<SignInOutcome>;
  /** A second step or a passkey completed the sign-in. */
  signedIn: (user: User) => void;
  /**
   * The user's role requires a second factor they have not set up (MFA_REQUIRED_ROLES): the server
   * refuses everything else, so the app keeps them on the Security page until they have one.
   */
  secondFactorSetupRequired: boolean;
  /** A factor was set up: the session is read again and the rest of the app opens. */
  secondFactorEnrolled: () => void;
  signOut: () => Promise<void>;
  /** After the user edits their own profile. */
  setUser: (user: User) => void;
  /**
   * A link from a mail changed a user (address confirmed, address changed): adopted only if that
   * user is the one signed in here, since the link may be opened in any browser.
   */
  userChanged: (user: User) => void;
  /**
   * A link from a mail revoked every session of an account (password reset, undone email change,
   * "this was not me"). If this browser's session was one of them it is dropped, cookies included.
   */
  afterSessionsRevoked: () => Promise<void>;
  /** The server deleted the account and cleared this browser's cookies with the answer. */
  afterAccountDeleted: () => void;
  /** Asks the server who is signed in now (role changes, other tabs). */
  reload: () => void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/** Re-checking on every tab switch would be wasteful; once in a while is enough. */
const REVALIDATE_AFTER_MS = 15_000;

function endedState(previous: AuthState, reason: AnonymousReason): AuthState {
  // Someone who never had a session did not "lose" one.
  if (previous.status !== 'authenticated') {
    return {
      status: 'anonymous',
      reason: previous.status === 'anonymous' ? previous.reason : 'initial',
    };
  }
  return { status: 'anonymous', reason };
}

/**
 * Who is signed in. Session tokens live in HttpOnly cookies that scripts cannot read, so the only
 * way to know is to ask the server: GET /api/session at start (which answers a visitor without a
 * refusal, and refreshes first when only the refresh cookie is left) and again whenever the API
 * layer reports that something changed.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'loading' });
  const [secondFactorSetupRequired, setSecondFactorSetupRequired] = useState(false);
  const lastCheckedAt = useRef(0);

  const load = useCallback(async (signal?: AbortSignal) => {
    lastCheckedAt.current = Date.now();
    try {
      const user = await fetchCurrentUser(signal);
      if (user === null) {
        setSecondFactorSetupRequired(false);
        setState((previous) => endedState(previous, 'session-ended'));
      } else setState({ status: 'authenticated', user });
    } catch (error) {
      if (isAbortError(error)) return;
      // A passing outage must not sign anybody out; it only blocks a first load.
      setState((previous) =>
        previous.status === 'authenticated' ? previous : { status: 'unavailable', error },
      );
    }
  }, []);

  const reload = useCallback(() => {
    void load();
  }, [load]);

  useEffect(() => {
    startSessionSync();
    const controller = new AbortController();
    void load(controller.signal);
    return () => {
      controller.abort();
    };
  }, [load]);

  useEffect(
    () =>
      subscribeSessionEvents((event) => {
        switch (event.type) {
          case 'session-ended':
            setState((previous) =>
              previous.status === 'loading' ? previous : endedState(previous, 'session-ended'),
            );
            break;
          case 'remote-signed-out':
            setState((previous) => endedState(previous, 'signed-out'));
            break;
          case 'refreshed':
            setState({ status: 'authenticated', user: event.user });
            break;
          case 'mfa-enrollment-required':
            // The same refusal also answers removing a required last factor; only the account's
            // factors tell whether setup is really missing.
            mustEnrolSecondFactorRequest().then(
              (mustEnrol) => {
                if (mustEnrol) setSecondFactorSetupRequired(true);
              },
              () => {
                // Unknown for now: the next refusal asks again.
              },
            );
            break;
          case 'forbidden':
          case 'email-not-verified':
          case 'remote-signed-in':
            void load();
            break;
        }
      }),
    [load],
  );

  const isAuthenticated = state.status === 'authenticated';
  useEffect(() => {
    if (!isAuthenticated) return;
    const revalidate = () => {
      if (document.visibilityState !== 'visible') return;
      if (Date.now() - lastCheckedAt.current < REVALIDATE_AFTER_MS) return;
      void load();
    };
    document.addEventListener('visibilitychange', revalidate);
    return () => {
      document.removeEventListener('visibilitychange', revalidate);
    };
  }, [isAuthenticated, load]);

  const signedIn = useCallback((user: User) => {
    setSecondFactorSetupRequired(false);
    setState({ status: 'authenticated', user });
  }, []);

  const signIn = useCallback(async (body: LoginBody) => {
    const outcome = await signInRequest(body);
    if (outcome.status !== 'signed-in') return outcome;
    // No second step: maybe the role requires a factor this user lacks. Asked only of a confirmed
    // address, since the server refuses everything else to an unconfirmed one.
    let mustEnrol = false;
    if (outcome.user.emailVerified) {
      try {
        mustEnrol = await mustEnrolSecondFactorRequest();
      } catch {
        // Only a head start: the server's refusal on the next request says the same.
      }
    }
    setSecondFactorSetupRequired(mustEnrol);
    setState({ status: 'authenticated', user: outcome.user });
    return outcome;
  }, []);

  const signOut = useCallback(async () => {
    const providerLogout = await signOutRequest();
    if (providerLogout !== null) {
      // The provider's own session ends on its page, which sends the browser back to /sign-in.
      // This page stays as it is until the browser leaves: a route change now could cancel that.
      window.location.assign(providerLogout);
      return;
    }
    setSecondFactorSetupRequired(false);
    setState({ status: 'anonymous', reason: 'signed-out' });
  }, []);

  const secondFactorEnrolled = useCallback(() => {
    setSecondFactorSetupRequired(false);
    void load();
  }, [load]);

  const setUser = useCallback((user: User) => {
    setState({ status: 'authenticated', user });
  }, []);

  const userChanged = useCallback((user: User) => {
    setState((previous) =>
      previous.status === 'authenticated' && previous.user.id === user.id
        ? { status: 'authenticated', user }
        : previous,
    );
  }, []);

  const afterSessionsRevoked = useCallback(async () => {
    // Asked without a refresh: the refresh cookie of a revoked session can only be refused.
    const session = await currentSessionRequest();
    if (session.user !== null) {
      // Signed in here as someone else, whose session the link did not touch.
      setState({ status: 'authenticated', user: session.user });
      return;
    }
    // The dead cookies go now (sign-out answers 204 even for them), so no later page load tries
    // a refresh that the server would refuse; other tabs hear that this browser signed out.
    if (session.canRefresh) await signOutRequest();
    setState((previous) => endedState(previous, 'signed-out'));
  }, []);

  const afterAccountDeleted = useCallback(() => {
    // The CSRF binding went with the cookies; other tabs of this browser must drop the user too.
    invalidateCsrfToken();
    announceSessionChange('signed-out');
    setState({ status: 'anonymous', reason: 'account-deleted' });
  }, []);

  const value = useMemo(
    () => ({
      state,
      signIn,
      signedIn,
      secondFactorSetupRequired: secondFactorSetupRequired && state.status === 'authenticated',
      secondFactorEnrolled,
      signOut,
      setUser,
      userChanged,
      afterSessionsRevoked,
      afterAccountDeleted,
      reload,
    }),
    [
      state,
      signIn,
      signedIn,
      secondFactorSetupRequired,
      secondFactorEnrolled,
      signOut,
      setUser,
      userChanged,
      afterSessionsRevoked,
      afterAccountDeleted,
      reload,
    ],
  );
  return <AuthContext value={value}>{children}</AuthContext>;
}

export function useAuth(): AuthContextValue {
  const context = use(AuthContext);
  if (context === null) throw new Error('useAuth must be used inside <AuthProvider>');
  return context;
}

/** For screens behind <RequireAuth>, where a user is guaranteed. */
export function useCurrentUser(): User {
  const { state } = useAuth();
  if (state.status !== 'authenticated') {
    throw new Error('useCurrentUser must be used behind <RequireAuth>');
  }
  return state.user;
}
