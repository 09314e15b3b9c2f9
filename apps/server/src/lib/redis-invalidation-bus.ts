import type { Redis } from 'ioredis';
import type { Invalidation, InvalidationBus } from '../modules/auth/session-state.js';

export const INVALIDATION_CHANNEL = 'portcullis:invalidate';

/** QUIT when connected (pending replies arrive first); a connection still retrying just stops. */
async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.quit().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
  }
  redis.disconnect();
}

/** Only well-formed events are acted on: the channel is shared, so its input is not trusted. */
function parseInvalidation(message: string): Invalidation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Record<string, unknown>;
  if (event.kind === 'session' && typeof event.sessionId === 'string') {
    return { kind: 'session', sessionId: event.sessionId };
  }
  if (event.kind === 'user' && typeof event.userId === 'string') {
    return { kind: 'user', userId: event.userId };
  }
  return undefined;
}

/**
 * Fans session and role invalidations out to every instance over Redis pub/sub, so a logout or a
 * role change on one instance binds on all of them at once instead of after the cache TTL.
 *
 * Pub/sub delivers only to subscribers connected at the time, so an instance whose subscriber
 * reconnects may have missed events: it then clears its whole session-state cache
 * (`{ kind: 'all' }`), and the next request per session reads the database again.
 * A publish that fails while Redis is down is reported to `onError` and not thrown: the change is
 * already in the database, and every other instance clears its cache when its subscriber returns
 * (or, if it never lost Redis, after the cache TTL at worst).
 */
export class RedisInvalidationBus implements InvalidationBus {
  private readonly handlers: ((event: Invalidation) => void)[] = [];
  private subscribedOnce = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly hooks: { onError?: (error: unknown) => void; onClose?: () => void } = {},
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== INVALIDATION_CHANNEL) return;
      const event = parseInvalidation(message);
      if (event !== undefined) this.deliver(event);
    });
    subscriber.on('ready', () => {
      // ioredis resubscribes by itself on reconnect; what was published meanwhile is lost.
      if (this.subscribedOnce) this.deliver({ kind: 'all' });
    });
    subscriber.subscribe(INVALIDATION_CHANNEL).then(
      () => {
        this.subscribedOnce = true;
      },
      (error: unknown) => {
        // The reconnect loop retries; until then the cache TTL bounds staleness.
        this.subscribedOnce = true;
        hooks.onError?.(error);
      },
    );
  }

  private deliver(event: Invalidation): void {
    for (const handler of this.handlers) handler(event);
  }

  async publish(event: Invalidation): Promise<void> {
    // SessionStateService has already dropped its own entry; this reaches the other instances.
    try {
      await this.publisher.publish(INVALIDATION_CHANNEL, JSON.stringify(event));
    } catch (error) {
      this.hooks.onError?.(error);
    }
  }

  subscribe(handler: (event: Invalidation) => void): void {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {
    this.hooks.onClose?.();
    await Promise.all([closeConnection(this.subscriber), closeConnection(this.publisher)]);
  }
}
