import {
  AUDIT_EXPORT_MAX_ROWS,
  type AuditEvent,
  type AuditExportQuery,
} from '@portcullis/contract/admin';
import { useCallback, useRef, useState } from 'react';
import { userMessage } from '../../api/api-error';
import { ActionButton } from '../../components/action-button';
import { ErrorAlert, LoadFailed, Loading, StatusMessage } from '../../components/status-message';
import { UserAgent } from '../../components/user-agent';
import { auditEventLabels } from '../../lib/audit-event-labels';
import { formatDateTime } from '../../lib/format-date';
import { saveFile } from '../../lib/save-file';
import {
  useCursorList,
  useFocusAfterLoadMore,
  type LoadCursorPage,
} from '../../lib/use-cursor-list';
import { exportAuditRequest, listAuditPage, type AuditFilters } from './admin-api';
import { AuditFiltersForm } from './audit-filters-form';

const dash = '—';
const rowIdPrefix = 'audit-event-';

/**
 * Who acted, by email: that is how admins know people. The id is the fallback for events recorded
 * without one (sign-out and refresh-token reuse know the session, not the address).
 */
function Actor({ event }: { event: AuditEvent }) {
  if (event.actorEmail !== null) return <span className="email">{event.actorEmail}</span>;
  if (event.actorId !== null) return <span className="mono">{event.actorId}</span>;
  return dash;
}

/** Who an event was done to, by email; the id when the account is gone or had none recorded. */
function Target({ event }: { event: AuditEvent }) {
  if (event.targetEmail !== null) return <span className="email">{event.targetEmail}</span>;
  if (event.targetId !== null) return <span className="mono">{event.targetId}</span>;
  return dash;
}

function ExportButtons({ filters }: { filters: AuditFilters }) {
  const [busy, setBusy] = useState<AuditExportQuery['format'] | undefined>();
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | undefined>();

  const download = async (format: AuditExportQuery['format']) => {
    setBusy(format);
    setStatus('');
    setError(undefined);
    try {
      const file = await exportAuditRequest(filters, format);
      saveFile(file);
      setStatus(`The filtered events were saved as ${file.filename}.`);
    } catch (caught) {
      setError(userMessage(caught));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <div className="export">
      <div className="button-row">
        <span className="export-label">Export the filtered events:</span>
        <ActionButton
          className="button button--secondary button--small"
          unavailable={busy !== undefined}
          onClick={() => {
            void download('csv');
          }}
        >
          {busy === 'csv' ? 'Exporting…' : 'CSV'}
          <span className="visually-hidden"> export</span>
        </ActionButton>
        <ActionButton
          className="button button--secondary button--small"
          unavailable={busy !== undefined}
          onClick={() => {
            void download('jsonl');
          }}
        >
          {busy === 'jsonl' ? 'Exporting…' : 'JSON Lines'}
          <span className="visually-hidden"> export</span>
        </ActionButton>
      </div>
      <p className="field-hint">
        At most {AUDIT_EXPORT_MAX_ROWS.toLocaleString()} events per file.
      </p>
      <StatusMessage message={status} />
      {error !== undefined && <ErrorAlert message={error} />}
    </div>
  );
}

export function AuditTable() {
  const [filters, setFilters] = useState<AuditFilters>({});
  const loadPage = useCallback<LoadCursorPage<AuditEvent>>(
    (cursor, signal) => listAuditPage(filters, cursor, signal),
    [filters],
  );
  const events = useCursorList(loadPage);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusAfterLoadMore(events.loadedMore, rowIdPrefix, headingRef);
  const filtered = Object.keys(filters).length > 0;

  return (
    <section className="panel" aria-labelledby="audit-heading">
      <h2 id="audit-heading" ref={headingRef} tabIndex={-1}>
        Audit log
      </h2>
      <AuditFiltersForm onApply={setFilters} />
      <ExportButtons filters={filters} />
      {events.status === 'loading' && <Loading label="Loading the audit log…" />}
      {events.status === 'error' && <LoadFailed error={events.error} onRetry={events.retry} />}
      {events.status === 'ready' && events.items.length === 0 && (
        <p className="empty">{filtered ? 'No event matches these filters.' : 'No events yet.'}</p>
      )}
      {events.items.length > 0 && (
        <div className="table-scroll" role="region" aria-labelledby="audit-heading" tabIndex={0}>
          <table className="table table--dense table--cards">
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
                  <td className="nowrap" data-label="Time">
                    <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                  </td>
                  <td data-label="Event">{auditEventLabels[event.type]}</td>
                  <td data-label="Outcome">
                    <span className="outcome" data-outcome={event.outcome}>
                      {event.outcome === 'success' ? 'Success' : 'Failure'}
                    </span>
                  </td>
                  <td data-label="Actor">
                    <Actor event={event} />
                  </td>
                  <td data-label="Target">
                    <Target event={event} />
                  </td>
                  <td className="mono" data-label="IP address">
                    {event.ip ?? dash}
                  </td>
                  <td className="user-agent-cell" data-label="User agent">
                    <UserAgent value={event.userAgent} />
                  </td>
                  <td data-label="Detail">{event.detail ?? dash}</td>
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
