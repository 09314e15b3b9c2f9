import type { SessionView } from '@portcullis/contract/security';
import { useRef, useState } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorAlert, LoadFailed, Loading, StatusMessage } from '../../components/status-message';
import { UserAgent } from '../../components/user-agent';
import { formatDateTime } from '../../lib/format-date';
import { useResource } from '../../lib/use-resource';
import {
  listSessionsRequest,
  revokeOtherSessionsRequest,
  revokeSessionRequest,
} from './security-api';

/** This browser first, then the most recently used: the one to recognise comes first. */
function byRelevance(a: SessionView, b: SessionView): number {
  if (a.current !== b.current) return a.current ? -1 : 1;
  return Date.parse(b.lastUsedAt) - Date.parse(a.lastUsedAt);
}

async function loadSessions(signal?: AbortSignal): Promise<SessionView[]> {
  return [...(await listSessionsRequest(signal))].sort(byRelevance);
}

interface SessionItemProps {
  session: SessionView;
  busy: boolean;
  onRevoke: () => void;
}

function SessionItem({ session, busy, onRevoke }: SessionItemProps) {
  const titleId = `session-${session.id}-title`;
  return (
    <li className="session" aria-labelledby={titleId}>
      <div className="session-head">
        <h3 id={titleId} className="session-device">
          {session.device}
        </h3>
        {session.current && <span className="badge badge--current">This device</span>}
        <span className="badge">
          {session.remembered ? 'Remembered' : 'Until the browser closes'}
        </span>
      </div>
      <dl className="meta-list">
        <div>
          <dt>IP address</dt>
          <dd className="mono">{session.ip ?? 'Unknown'}</dd>
        </div>
        <div>
          <dt>Signed in</dt>
          <dd>
            <time dateTime={session.createdAt}>{formatDateTime(session.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>
            <time dateTime={session.lastUsedAt}>{formatDateTime(session.lastUsedAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Browser</dt>
          <dd>
            <UserAgent value={session.userAgent} summary={session.device} />
          </dd>
        </div>
      </dl>
      {!session.current && (
        <ActionButton
          className="button button--danger-outline button--small"
          unavailable={busy}
          onClick={onRevoke}
        >
          Sign out
          <span className="visually-hidden">
            {' '}
            of {session.device}, signed in {formatDateTime(session.createdAt)}
          </span>
        </ActionButton>
      )}
    </li>
  );
}

/**
 * Where the account is signed in, so the owner can spot a session they do not recognise and end
 * it (OWASP ASVS 3.3.4). Ending one revokes its refresh token on the server: that browser is signed
 * out at its next request, when its short-lived access token is checked against the session.
 */
export function SessionsPanel() {
  const { resource, retry, update } = useResource(loadSessions);
  const [busyId, setBusyId] = useState<string | undefined>();
  const [status, setStatus] = useState('');
  const [actionError, setActionError] = useState<string | undefined>();
  const headingRef = useRef<HTMLHeadingElement>(null);

  const revoke = async (session: SessionView) => {
    setBusyId(session.id);
    setActionError(undefined);
    setStatus('');
    try {
      await revokeSessionRequest(session.id);
      update((sessions) => sessions.filter((item) => item.id !== session.id));
      setStatus(`Signed out of ${session.device}.`);
      // The button that had focus is gone with its session.
      headingRef.current?.focus();
    } catch (error) {
      setActionError(userMessage(error));
    } finally {
      setBusyId(undefined);
    }
  };

  const revokeOthers = async () => {
    setBusyId('others');
    setActionError(undefined);
    setStatus('');
    try {
      const revoked = await revokeOtherSessionsRequest();
      update((sessions) => sessions.filter((item) => item.current));
      setStatus(
        revoked === 1
          ? 'Signed out of 1 other session.'
          : `Signed out of ${revoked} other sessions.`,
      );
      headingRef.current?.focus();
    } catch (error) {
      setActionError(userMessage(error));
    } finally {
      setBusyId(undefined);
    }
  };

  const others = resource.status === 'ready' ? resource.data.filter((item) => !item.current) : [];

  return (
    <section className="panel" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading" ref={headingRef} tabIndex={-1}>
        Where you are signed in
      </h2>
      <StatusMessage message={status} />
      {actionError !== undefined && <ErrorAlert message={actionError} />}
      {resource.status === 'loading' && <Loading label="Loading your sessions…" />}
      {resource.status === 'error' && <LoadFailed error={resource.error} onRetry={retry} />}
      {resource.status === 'ready' && (
        <>
          <ul className="session-list">
            {resource.data.map((session) => (
              <SessionItem
                key={session.id}
                session={session}
                busy={busyId !== undefined}
                onRevoke={() => {
                  void revoke(session);
                }}
              />
            ))}
          </ul>
          {others.length > 0 ? (
            <div className="button-row">
              <ActionButton
                className="button button--danger"
                unavailable={busyId !== undefined}
                onClick={() => {
                  void revokeOthers();
                }}
              >
                {busyId === 'others' ? 'Signing out…' : 'Sign out of all other sessions'}
              </ActionButton>
            </div>
          ) : (
            <p className="empty">You are not signed in anywhere else.</p>
          )}
        </>
      )}
    </section>
  );
}
