import { useRef } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorAlert, LoadFailed, Loading } from '../../components/status-message';
import { UserAgent } from '../../components/user-agent';
import { auditEventLabels } from '../../lib/audit-event-labels';
import { formatDateTime } from '../../lib/format-date';
import { useCursorList, useFocusAfterLoadMore } from '../../lib/use-cursor-list';
import { listActivityPage } from './security-api';

const itemIdPrefix = 'activity-';

/**
 * What happened to the account, newest first: a sign-in the owner does not recognise is the
 * earliest sign of a taken-over account, and the owner is the one who can tell.
 */
export function ActivityPanel() {
  const events = useCursorList(listActivityPage);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusAfterLoadMore(events.loadedMore, itemIdPrefix, headingRef);

  return (
    <section className="panel" aria-labelledby="activity-heading">
      <h2 id="activity-heading" ref={headingRef} tabIndex={-1}>
        Recent activity
      </h2>
      {events.status === 'loading' && <Loading label="Loading your activity…" />}
      {events.status === 'error' && <LoadFailed error={events.error} onRetry={events.retry} />}
      {events.status === 'ready' && events.items.length === 0 && (
        <p className="empty">Nothing yet.</p>
      )}
      {events.items.length > 0 && (
        <ol className="activity-list">
          {events.items.map((event) => (
            <li key={event.id} id={`${itemIdPrefix}${event.id}`} tabIndex={-1} className="activity">
              <p className="activity-what">
                <span>{auditEventLabels[event.type]}</span>{' '}
                <span className="outcome" data-outcome={event.outcome}>
                  {event.outcome === 'success' ? 'Success' : 'Failure'}
                </span>
              </p>
              <p className="activity-meta">
                <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                {event.ip !== null && (
                  <>
                    {' · '}
                    <span className="mono">{event.ip}</span>
                  </>
                )}
              </p>
              {(event.userAgent !== null || event.device !== null) && (
                <div className="activity-meta">
                  <UserAgent value={event.userAgent} summary={event.device} />
                </div>
              )}
              {event.detail !== null && <p className="activity-detail">{event.detail}</p>}
            </li>
          ))}
        </ol>
      )}
      {events.moreError !== undefined && <ErrorAlert message={userMessage(events.moreError)} />}
      {events.nextCursor !== null && (
        <div className="button-row">
          <ActionButton
            className="button button--secondary"
            onClick={events.loadMore}
            unavailable={events.loadingMore}
          >
            {events.loadingMore ? 'Loading…' : 'Load more'}
          </ActionButton>
        </div>
      )}
    </section>
  );
}
