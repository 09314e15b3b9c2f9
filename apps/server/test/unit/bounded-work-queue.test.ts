import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/app-error.js';
import { createBoundedWorkQueue } from '../../src/lib/bounded-work-queue.js';

/** A task the test finishes by hand, so concurrency is observed, not guessed from timing. */
function deferredTask<T>(value: T) {
  let finish: () => void = () => undefined;
  let started = false;
  const gate = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    task: async (): Promise<T> => {
      started = true;
      await gate;
      return value;
    },
    finish: () => {
      finish();
    },
    get started() {
      return started;
    },
  };
}

async function settle(): Promise<void> {
  // Let queued continuations run; every hand-off in the queue is a few microtasks.
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

describe('createBoundedWorkQueue', () => {
  it('runs at most `concurrency` tasks at once and starts waiters in arrival order', async () => {
    const queue = createBoundedWorkQueue({ concurrency: 2, queueMax: 10 });
    const tasks = [1, 2, 3, 4].map((n) => deferredTask(n));
    const results = tasks.map((t) => queue.run(t.task));
    await settle();

    expect(tasks.map((t) => t.started)).toEqual([true, true, false, false]);
    expect(queue.active).toBe(2);
    expect(queue.waiting).toBe(2);

    tasks[1]?.finish();
    await settle();
    expect(tasks.map((t) => t.started)).toEqual([true, true, true, false]);
    expect(queue.active).toBe(2);
    expect(queue.waiting).toBe(1);

    for (const t of tasks) t.finish();
    await expect(Promise.all(results)).resolves.toEqual([1, 2, 3, 4]);
    expect(queue.active).toBe(0);
    expect(queue.waiting).toBe(0);
  });

  it('refuses at once with AppError server_busy (503, Retry-After 1) when slots and queue are full', async () => {
    const queue = createBoundedWorkQueue({ concurrency: 1, queueMax: 2 });
    const held = [deferredTask('a'), deferredTask('b'), deferredTask('c')];
    const accepted = held.map((t) => queue.run(t.task));
    await settle();
    expect(queue.active).toBe(1);
    expect(queue.waiting).toBe(2);

    let ranRefusedTask = false;
    const refused = queue.run(() => {
      ranRefusedTask = true;
      return Promise.resolve('never');
    });
    const error: unknown = await refused.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'server_busy',
      status: 503,
      options: { retryAfterSeconds: 1 },
    });
    expect(ranRefusedTask).toBe(false);
    // The refusal did not grow the queue.
    expect(queue.waiting).toBe(2);

    for (const t of held) t.finish();
    await expect(Promise.all(accepted)).resolves.toEqual(['a', 'b', 'c']);
  });

  it('with queueMax 0, refuses as soon as every slot is busy', async () => {
    const queue = createBoundedWorkQueue({ concurrency: 1, queueMax: 0 });
    const held = deferredTask(1);
    const first = queue.run(held.task);
    await expect(queue.run(() => Promise.resolve(2))).rejects.toMatchObject({
      code: 'server_busy',
    });
    held.finish();
    await expect(first).resolves.toBe(1);
    // The slot is free again.
    await expect(queue.run(() => Promise.resolve(3))).resolves.toBe(3);
  });

  it('frees the slot when a task rejects or throws synchronously', async () => {
    const queue = createBoundedWorkQueue({ concurrency: 1, queueMax: 0 });
    await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      queue.run(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(queue.active).toBe(0);
    await expect(queue.run(() => Promise.resolve('ok'))).resolves.toBe('ok');
  });

  it('does not let a newcomer overtake a waiter when a slot frees up', async () => {
    const queue = createBoundedWorkQueue({ concurrency: 1, queueMax: 1 });
    const order: string[] = [];
    const first = deferredTask('first');
    const running = queue.run(first.task);
    const waiter = queue.run(() => {
      order.push('waiter');
      return Promise.resolve();
    });
    first.finish();
    // Arrives after the slot was released but before the waiter's continuation ran.
    await running;
    const newcomer = queue
      .run(() => {
        order.push('newcomer');
        return Promise.resolve();
      })
      .catch((error: unknown) => {
        order.push(error instanceof AppError ? error.code : 'other');
      });
    await Promise.all([waiter, newcomer]);
    expect(order[0]).toBe('waiter');
  });

  it('rejects a configuration that would not limit anything', () => {
    expect(() => createBoundedWorkQueue({ concurrency: 0, queueMax: 1 })).toThrow(RangeError);
    expect(() => createBoundedWorkQueue({ concurrency: 1.5, queueMax: 1 })).toThrow(RangeError);
    expect(() => createBoundedWorkQueue({ concurrency: 1, queueMax: -1 })).toThrow(RangeError);
    expect(() =>
      createBoundedWorkQueue({ concurrency: 1, queueMax: Number.POSITIVE_INFINITY }),
    ).toThrow(RangeError);
  });
});

describe('createBoundedWorkQueue: a fair share per key', () => {
  it('refuses a key over its share with 429 while other keys are still queued', async () => {
    const queue = createBoundedWorkQueue({ concurrency: 1, queueMax: 10, perKeyMax: 2 });
    const burst = [deferredTask('a1'), deferredTask('a2'), deferredTask('a3')];
    const results = burst.map((t) =>
      queue.run(t.task, 'client-a').catch((error: unknown) => error),
    );
    await settle();
    expect(queue.heldBy('client-a')).toBe(2);
    const refused = await results[2];
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('rate_limited');
    expect((refused as AppError).status).toBe(429);
    expect((refused as AppError).options.retryAfterSeconds).toBe(1);

    // Another client still gets a place in the queue, and is served.
    const other = deferredTask('b1');
    const otherResult = queue.run(other.task, 'client-b');
    await settle();
    expect(queue.waiting).toBe(2);
    for (const t of [...burst, other]) t.finish();
    await expect(otherResult).resolves.toBe('b1');
    await expect(results[0]).resolves.toBe('a1');
    expect(queue.heldBy('client-a')).toBe(0);
  });

  it('gives the share back when a task finishes or fails, and never counts keyless tasks', async () => {
    const queue = createBoundedWorkQueue({ concurrency: 1, queueMax: 10, perKeyMax: 1 });
    await expect(queue.run(() => Promise.reject(new Error('boom')), 'k')).rejects.toThrow('boom');
    expect(queue.heldBy('k')).toBe(0);
    await expect(queue.run(() => Promise.resolve(1), 'k')).resolves.toBe(1);
    const keyless = [deferredTask(1), deferredTask(2), deferredTask(3)];
    const all = keyless.map((t) => queue.run(t.task));
    for (const t of keyless) t.finish();
    await expect(Promise.all(all)).resolves.toEqual([1, 2, 3]);
  });

  it('refuses a nonsense share at construction', () => {
    expect(() => createBoundedWorkQueue({ concurrency: 1, queueMax: 1, perKeyMax: 0 })).toThrow(
      RangeError,
    );
  });
});
