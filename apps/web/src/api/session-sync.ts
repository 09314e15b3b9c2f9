import { z } from 'zod';
import { invalidateCsrfToken } from './csrf-token';
import { emitSessionEvent } from './session-events';

const CHANNEL_NAME = 'portcullis-session';
const REFRESH_LOCK_NAME = 'portcullis-refresh';

const tabMessageSchema = z.object({ type: z.enum(['signed-in', 'signed-out', 'refreshed']) });
type TabMessage = z.infer<typeof tabMessageSchema>;

/**
 * Counts session changes seen by this tab (sign-in, sign-out, refresh, here or in another tab).
 * A request remembers the count when it leaves; if a 401 comes back after the count moved, the
 * cookies already changed under it and a plain retry is enough, with no second refresh.
 */
let epoch = 0;

export function sessionEpoch(): number {
  return epoch;
}

let channel: BroadcastChannel | undefined;

function onTabMessage(event: MessageEvent): void {
  const parsed = tabMessageSchema.safeParse(event.data);
  if (!parsed.success) return;
  epoch += 1;
  if (parsed.data.type === 'refreshed') return;
  // The other tab's sign-in or sign-out rotated the CSRF binding cookie we share with it.
  invalidateCsrfToken();
  emitSessionEvent({
    type: parsed.data.type === 'signed-in' ? 'remote-signed-in' : 'remote-signed-out',
  });
}

/** Idempotent: one channel per tab, for the life of the page. */
export function startSessionSync(): void {
  if (channel !== undefined || typeof BroadcastChannel !== 'function') return;
  channel = new BroadcastChannel(CHANNEL_NAME);
  channel.addEventListener('message', onTabMessage);
}

/** Records a session change made by this tab and tells the other tabs about it. */
export function announceSessionChange(type: TabMessage['type']): void {
  epoch += 1;
  startSessionSync();
  channel?.postMessage({ type } satisfies TabMessage);
}

/**
 * Refresh tokens are single-use and a reused one revokes the whole session (reuse detection), so
 * two tabs must never refresh with the same cookie at once. The Web Locks API serialises refreshes
 * across every tab of the origin; the second tab then sends the cookie the first one just got.
 */
export async function withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
  // Typed as always present, but undefined outside secure contexts and in older browsers.
  const locks = (navigator as { locks?: LockManager }).locks;
  if (locks === undefined) return task();
  // The DOM typing does not unwrap the callback's promise; awaiting does.
  const result = await locks.request(REFRESH_LOCK_NAME, task);
  return result;
}

let refreshInFlight: Promise<boolean> | undefined;

/**
 * Renews the session for a request that got a 401, at most once at a time in this tab: parallel
 * requests share one promise. Resolves true when the caller should retry. `refresh` announces a
 * refresh it made to the other tabs itself.
 */
export function renewSession(
  epochAtSend: number,
  refresh: () => Promise<boolean>,
): Promise<boolean> {
  if (epoch !== epochAtSend) return Promise.resolve(true);
  refreshInFlight ??= withRefreshLock(async () => {
    // Another tab may have refreshed while we waited for the lock.
    if (epoch !== epochAtSend) return true;
    return refresh();
  }).finally(() => {
    refreshInFlight = undefined;
  });
  return refreshInFlight;
}
