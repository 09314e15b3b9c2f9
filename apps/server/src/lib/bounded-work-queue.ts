import { AppError } from './app-error.js';

export interface BoundedWorkQueueOptions {
  /** Tasks allowed to run at once (for CPU-bound work: about one per spare core). */
  concurrency: number;
  /** Callers allowed to wait for a slot; one more is refused at once. 0 means no waiting. */
  queueMax: number;
  /**
   * Tasks (running and waiting) one key, e.g. one client address, may hold at once; its next one
   * is refused at once with 429 while other keys still get their turn. Unset: no per-key share.
   */
  perKeyMax?: number;
}

export interface BoundedWorkQueue {
  /**
   * Runs `task` when a slot is free. Rejects at once with `AppError('server_busy')` when every slot
   * is taken and the wait queue is full, so an overload turns into quick 503s with Retry-After
   * instead of an ever-growing backlog of promises that all time out anyway.
   *
   * With a `key` and `perKeyMax`, a key already holding `perKeyMax` tasks is refused at once with
   * `AppError('rate_limited')` (429), so one client's burst cannot fill the queue and answer
   * everyone else 503. Tasks without a key (the operator's CLI) count only against the whole queue.
   */
  run<T>(task: () => Promise<T>, key?: string): Promise<T>;
  readonly active: number;
  readonly waiting: number;
  /** Tasks (running and waiting) `key` holds now. */
  heldBy(key: string): number;
}

/**
 * A concurrency limiter with a bounded wait queue. It sits in front of deliberately expensive work
 * (password hashing) so a login storm cannot queue unbounded CPU work and memory: the latency of
 * the requests it accepts stays bounded by `queueMax / concurrency` tasks, and the rest are told to
 * come back later (CWE-400, uncontrolled resource consumption).
 */
export function createBoundedWorkQueue(options: BoundedWorkQueueOptions): BoundedWorkQueue {
  const { concurrency, queueMax, perKeyMax } = options;
  // Fail at start-up on a nonsense configuration rather than silently running unlimited work.
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${String(concurrency)}`);
  }
  if (!Number.isSafeInteger(queueMax) || queueMax < 0) {
    throw new RangeError(`queueMax must be an integer >= 0, got ${String(queueMax)}`);
  }
  if (perKeyMax !== undefined && (!Number.isSafeInteger(perKeyMax) || perKeyMax < 1)) {
    throw new RangeError(`perKeyMax must be an integer >= 1, got ${String(perKeyMax)}`);
  }

  let active = 0;
  // Each entry wakes one waiting caller. FIFO, so a caller that waited is never overtaken.
  const waiters: (() => void)[] = [];
  // Only keys holding at least one task are present, so the map is bounded by
  // concurrency + queueMax entries whatever the number of clients.
  const heldByKey = new Map<string, number>();

  function release(): void {
    const next = waiters.shift();
    if (next) {
      // Hand the slot straight to the oldest waiter (active stays the same): a newcomer arriving
      // between "slot freed" and "waiter resumed" cannot jump the queue.
      next();
    } else {
      active -= 1;
    }
  }

  function releaseKey(key: string): void {
    const held = (heldByKey.get(key) ?? 1) - 1;
    if (held === 0) heldByKey.delete(key);
    else heldByKey.set(key, held);
  }

  async function run<T>(task: () => Promise<T>, key?: string): Promise<T> {
    // Everything up to the first await runs synchronously, so the checks and the reservations
    // below cannot interleave with another call.
    const counted = key !== undefined && perKeyMax !== undefined ? key : undefined;
    if (counted !== undefined) {
      const held = heldByKey.get(counted) ?? 0;
      if (held >= (perKeyMax ?? 0)) {
        // The client's own share is spent: its fault, not the server's, hence 429 and not 503.
        throw new AppError('rate_limited', { retryAfterSeconds: 1 });
      }
    }
    let mustWait = false;
    if (active < concurrency) {
      active += 1;
    } else if (waiters.length < queueMax) {
      mustWait = true;
    } else {
      throw new AppError('server_busy', { retryAfterSeconds: 1 });
    }
    // Reserved before any wait, so a burst from one key is counted as it arrives; a call refused
    // above holds nothing.
    if (counted !== undefined) heldByKey.set(counted, (heldByKey.get(counted) ?? 0) + 1);
    if (mustWait) {
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
      });
    }
    try {
      return await task();
    } finally {
      if (counted !== undefined) releaseKey(counted);
      release();
    }
  }

  return {
    run,
    get active() {
      return active;
    },
    get waiting() {
      return waiters.length;
    },
    heldBy: (key) => heldByKey.get(key) ?? 0,
  };
}
