import { AppError } from './app-error.js';

export interface BoundedWorkQueueOptions {
  /** Tasks allowed to run at once (for CPU-bound work: about one per spare core). */
  concurrency: number;
  /** Callers allowed to wait for a slot; one more is refused at once. 0 means no waiting. */
  queueMax: number;
}

export interface BoundedWorkQueue {
  /**
   * Runs `task` when a slot is free. Rejects at once with `AppError('server_busy')` when every slot
   * is taken and the wait queue is full, so an overload turns into quick 503s with Retry-After
   * instead of an ever-growing backlog of promises that all time out anyway.
   */
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

/**
 * A concurrency limiter with a bounded wait queue. It sits in front of deliberately expensive work
 * (password hashing) so a login storm cannot queue unbounded CPU work and memory: the latency of
 * the requests it accepts stays bounded by `queueMax / concurrency` tasks, and the rest are told to
 * come back later (CWE-400, uncontrolled resource consumption).
 */
export function createBoundedWorkQueue(options: BoundedWorkQueueOptions): BoundedWorkQueue {
  const { concurrency, queueMax } = options;
  // Fail at start-up on a nonsense configuration rather than silently running unlimited work.
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${String(concurrency)}`);
  }
  if (!Number.isSafeInteger(queueMax) || queueMax < 0) {
    throw new RangeError(`queueMax must be an integer >= 0, got ${String(queueMax)}`);
  }

  let active = 0;
  // Each entry wakes one waiting caller. FIFO, so a caller that waited is never overtaken.
  const waiters: (() => void)[] = [];

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

  async function run<T>(task: () => Promise<T>): Promise<T> {
    // Everything up to the first await runs synchronously, so the check and the reservation
    // below cannot interleave with another call.
    if (active < concurrency) {
      active += 1;
    } else if (waiters.length < queueMax) {
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
      });
    } else {
      throw new AppError('server_busy', { retryAfterSeconds: 1 });
    }
    try {
      return await task();
    } finally {
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
  };
}
