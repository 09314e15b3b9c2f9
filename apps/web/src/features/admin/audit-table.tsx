import type { AuditEventType } from '@portcullis/contract/admin';
import { userMessage } from '../../api/api-error';
import { ErrorAlert, Loading } from '../../components/status-message';
import { formatDateTime } from '../../lib/format-date';
import { useCursorList } from '../../lib/use-cursor-list';
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
};

const dash = '—';

export function AuditTable() {
  const events = useCursorList(listAuditPage);

  return (
    <section className="panel" aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
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
                <tr key={event.id}>
                  <td className="nowrap">
                    <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                  </td>
                  <td>{eventLabels[event.type]}</td>
                  <td>
                    <span className="outcome" data-outcome={event.outcome}>
                      {event.outcome === 'success' ? 'Success' : 'Failure'}
                    </span>
                  </td>
                  <td>{event.actorEmail ?? event.actorId ?? dash}</td>
                  <td className="mono">{event.targetId ?? dash}</td>
                  <td className="mono">{event.ip ?? dash}</td>
                  <td className="user-agent">{event.userAgent ?? dash}</td>
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
          <button
            type="button"
            className="button button--secondary"
            onClick={events.loadMore}
            disabled={events.loadingMore}
          >
            {events.loadingMore ? 'Loading…' : 'Load more events'}
          </button>
        </div>
      )}
    </section>
  );
}
