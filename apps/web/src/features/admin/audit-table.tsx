import type { AuditEvent, AuditEventType } from '@portcullis/contract/admin';
import { useRef } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorAlert, Loading } from '../../components/status-message';
import { formatDateTime } from '../../lib/format-date';
import { useCursorList, useFocusAfterLoadMore } from '../../lib/use-cursor-list';
import { describeUserAgent } from '@portcullis/contract/user-agent';
import { listAuditPage } from './admin-api';

const eventLabels: Record<AuditEventType, string> = {
  register: 'Registered',
  login_succeeded: 'Signed in',
  login_failed: 'Sign-in failed',
  login_locked: 'Sign-in locked',
  logout: 'Signed out',
  password_changed: 'Password changed',
  role_changed: 'Role changed',
  csrf_failed: 'CSRF check failed',
  refresh_token_reuse: 'Refresh token reused',
  session_revoked: 'Session revoked',
  user_unlocked: 'Account unlocked',
  audit_pruned: 'Audit log pruned',
  email_verified: 'Email confirmed',
  password_reset_requested: 'Reset requested',
  password_reset: 'Password reset',
  email_change_requested: 'Email change requested',
  email_changed: 'Email changed',
  email_change_undone: 'Email change undone',
  sessions_revoked_not_me: 'Sessions ended (not me)',
  new_device_sign_in: 'New device sign-in',
};

const dash = '—';
const rowIdPrefix = 'audit-event-';

/**
 * Who acted, by email: that is how admins know people. The id is the fallback for events recorded
 * without one (sign-out and refresh-token reuse know the session, not the address).
 */
function Actor({ event }: { event: AuditEvent }) {
  if (event.actorEmail !== null) return event.actorEmail;
  if (event.actorId !== null) return <span className="mono">{event.actorId}</span>;
  return dash;
}

/**
 * "Chrome on Linux", with the full header one activation away: the raw string wraps to five
 * lines in a table cell, and is still what an investigation needs.
 */
function UserAgent({ value }: { value: string | null }) {
  if (value === null || value.trim() === '') return dash;
  const summary = describeUserAgent(value);
  if (summary === undefined) return <span className="user-agent-raw">{value}</span>;
  return (
    <details className="user-agent">
      <summary>
        {summary}
        <span className="visually-hidden"> (show the full user agent)</span>
      </summary>
      <span className="user-agent-raw">{value}</span>
    </details>
  );
}

export function AuditTable() {
  const events = useCursorList(listAuditPage);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusAfterLoadMore(events.loadedMore, rowIdPrefix, headingRef);

  return (
    <section className="panel" aria-labelledby="audit-heading">
      <h2 id="audit-heading" ref={headingRef} tabIndex={-1}>
        Audit log
      </h2>
      {events.status === 'loading' && <Loading label="Loading the audit log…" />}
      {events.status === 'error' && (
        <ErrorAlert message={userMessage(events.error)}>
          <button type="button" className="button" onClick={events.retry}>
            Try again
          </button>
        </ErrorAlert>
      )}
      {events.status === 'ready' && events.items.length === 0 && (
        <p className="empty">No events yet.</p>
      )}
      {events.items.length > 0 && (
        <div className="table-scroll" role="region" aria-labelledby="audit-heading" tabIndex={0}>
          <table className="table table--dense">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Outcome</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">IP address</th>
                <th scope="col">User agent</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {events.items.map((event) => (
                <tr key={event.id} id={`${rowIdPrefix}${event.id}`} tabIndex={-1}>
                  <td className="nowrap">
                    <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                  </td>
                  <td>{eventLabels[event.type]}</td>
                  <td>
                    <span className="outcome" data-outcome={event.outcome}>
                      {event.outcome === 'success' ? 'Success' : 'Failure'}
                    </span>
                  </td>
                  <td>
                    <Actor event={event} />
                  </td>
                  <td className="mono">{event.targetId ?? dash}</td>
                  <td className="mono">{event.ip ?? dash}</td>
                  <td className="user-agent-cell">
                    <UserAgent value={event.userAgent} />
                  </td>
                  <td>{event.detail ?? dash}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {events.moreError !== undefined && <ErrorAlert message={userMessage(events.moreError)} />}
      {events.nextCursor !== null && (
        <div className="button-row">
          <ActionButton
            className="button button--secondary"
            onClick={events.loadMore}
            unavailable={events.loadingMore}
          >
            {events.loadingMore ? 'Loading…' : 'Load more events'}
          </ActionButton>
        </div>
      )}
    </section>
  );
}
