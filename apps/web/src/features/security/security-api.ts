import {
  activityListResponseSchema,
  revokedSessionsResponseSchema,
  sessionListResponseSchema,
  type ActivityEvent,
  type DeleteAccountBody,
  type SessionView,
} from '@portcullis/contract/security';
import {
  apiDownload,
  apiJson,
  apiNoContent,
  withQuery,
  type DownloadedFile,
} from '../../api/api-client';
import type { CursorPage } from '../../lib/use-cursor-list';

export async function listSessionsRequest(signal?: AbortSignal): Promise<SessionView[]> {
  const { sessions } = await apiJson('/api/account/sessions', sessionListResponseSchema, {
    ...(signal === undefined ? {} : { signal }),
  });
  return sessions;
}

export function revokeSessionRequest(id: string): Promise<void> {
  return apiNoContent(`/api/account/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** Every session of the account but this browser's; resolves to how many were ended. */
export async function revokeOtherSessionsRequest(): Promise<number> {
  const { revoked } = await apiJson(
    '/api/account/sessions/revoke-others',
    revokedSessionsResponseSchema,
    // An empty JSON object, not an absent body: the server validates every POST body.
    { method: 'POST', body: {} },
  );
  return revoked;
}

const ACTIVITY_PAGE_SIZE = 20;

export async function listActivityPage(
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<CursorPage<ActivityEvent>> {
  const { events, nextCursor } = await apiJson(
    withQuery('/api/account/activity', { limit: ACTIVITY_PAGE_SIZE, cursor }),
    activityListResponseSchema,
    { signal },
  );
  return { items: events, nextCursor };
}

export function exportAccountRequest(): Promise<DownloadedFile> {
  return apiDownload('/api/account/export', 'portcullis-account.json');
}

/** Ends every session and clears this browser's cookies; the caller then signs the UI out. */
export function deleteAccountRequest(body: DeleteAccountBody): Promise<void> {
  return apiNoContent('/api/account', { method: 'DELETE', body });
}
