import type { Db } from '../db/database.js';
import type { Invalidation, InvalidationBus } from '../modules/auth/session-state.js';

/**
 * How long a row is kept. Anything older cannot matter: an instance caches session state for at
 * most 60 s, so an entry loaded before an old change has expired since.
 */
export const INVALIDATION_LOG_RETENTION_MS = 10 * 60_000;

/** How often a running instance reads the log: a role change binds within about this long. */
export const INVALIDATION_POLL_MS = 250;

/**
 * How long a hole in the ids is waited for. PostgreSQL hands out sequence values before the insert
 * commits, so id 7 can become visible before id 6; a rolled-back insert leaves a hole forever.
 */
const GAP_WAIT_MS = 2_000;

const BATCH = 500;

export interface LoggedInvalidation {
  id: number;
  /** Undefined for a row this version does not understand: skipped, but its id still counts. */
  event: Invalidation | undefined;
}

function toEvent(kind: string, subject: string | null): Invalidation | undefined {
  if (kind === 'all') return { kind: 'all' };
  if (subject === null) return undefined;
  if (kind === 'user') return { kind: 'user', userId: subject };
  if (kind === 'session') return { kind: 'session', sessionId: subject };
  return undefined;
}

/**
 * Cache invalidations in the database, for changes made by a process that is not a running
 * instance (the operator's CLI): it has no Redis connection to count on and no way to reach an
 * instance's memory, but it shares the database with every instance. See ADR 009.
 */
export class DbInvalidationLog {
  constructor(private readonly db: Db) {}

  async append(event: Invalidation, now = Date.now()): Promise<void> {
    const subject =
      event.kind === 'user' ? event.userId : event.kind === 'session' ? event.sessionId : null;
    await this.db
      .insertInto('invalidations')
      .values({ kind: event.kind, subject, created_at: now })
      .execute();
    // Pruned by the writer, so the table stays a few rows long without a job of its own.
    await this.db
      .deleteFrom('invalidations')
      .where('created_at', '<', now - INVALIDATION_LOG_RETENTION_MS)
      .execute();
  }

  async latestId(): Promise<number> {
    const row = await this.db
      .selectFrom('invalidations')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return row?.id ?? 0;
  }

  /** One indexed range read on the primary key: cheap enough to run several times a second. */
  async after(id: number, limit = BATCH): Promise<LoggedInvalidation[]> {
    const rows = await this.db
      .selectFrom('invalidations')
      .select(['id', 'kind', 'subject'])
      .where('id', '>', id)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ id: row.id, event: toEvent(row.kind, row.subject) }));
  }
}

/** The bus of a process that serves no requests: publishing writes the log the instances read. */
export class InvalidationLogBus implements InvalidationBus {
  private readonly handlers: ((event: Invalidation) => void)[] = [];

  constructor(private readonly log: DbInvalidationLog) {}

  async publish(event: Invalidation): Promise<void> {
    for (const handler of this.handlers) handler(event);
    // Not swallowed (unlike Redis): the operator must learn that running instances were not told.
    await this.log.append(event);
  }

  subscribe(handler: (event: Invalidation) => void): void {
    this.handlers.push(handler);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Runs in every instance: reads the log every `intervalMs` and hands each new event to `apply`.
 * It starts from the newest row (an instance that just started has nothing cached to drop), and
 * every id is applied once even when rows become visible out of order.
 */
export class InvalidationLogFollower {
  private cursor: number | undefined;
  /** Applied ids above the cursor, left by a hole below them. */
  private readonly applied = new Set<number>();
  private gapSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly log: Pick<DbInvalidationLog, 'latestId' | 'after'>,
    private readonly apply: (event: Invalidation) => void,
    private readonly options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
  ) {}

  start(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.poll().then(
        () => {
          this.failing = false;
        },
        (error: unknown) => {
          // One report per outage; the rows wait in the table until the database answers again.
          if (!this.failing) this.options.onError?.(error);
          this.failing = true;
        },
      );
      void this.running.finally(() => {
        this.schedule(this.options.intervalMs ?? INVALIDATION_POLL_MS);
      });
    }, delayMs);
    // Never the reason the process stays alive.
    this.timer.unref();
  }

  /** One read of the log; exposed so a test can drive it without waiting on the timer. */
  async poll(now = Date.now()): Promise<void> {
    if (this.cursor === undefined) {
      this.cursor = await this.log.latestId();
      return;
    }
    for (const row of await this.log.after(this.cursor)) {
      if (this.applied.has(row.id)) continue;
      this.applied.add(row.id);
      if (row.event !== undefined) this.apply(row.event);
    }
    this.advance(now);
  }

  private advance(now: number): void {
    let cursor = this.cursor ?? 0;
    for (;;) {
      while (this.applied.delete(cursor + 1)) cursor += 1;
      if (this.applied.size === 0) {
        this.gapSince = undefined;
        break;
      }
      this.gapSince ??= now;
      if (now - this.gapSince < GAP_WAIT_MS) break;
      // The hole did not fill: skip to the lowest applied id and wait afresh for the next hole.
      cursor = Math.min(...this.applied) - 1;
      this.gapSince = now;
    }
    this.cursor = cursor;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
