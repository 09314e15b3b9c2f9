import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/** SQLite's own default, restored if the checkpointer stops: the WAL must never grow unbounded. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * The worker's whole program. It is run from this string rather than a file of its own so that the
 * single-module production bundle (ADR 008) needs no second entry; the driver's path is resolved
 * by the main thread and passed in.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
function checkpoint() {
  try {
    return db.pragma('wal_checkpoint(PASSIVE)', { simple: false })[0];
  } catch (error) {
    return { error: String(error && error.message) };
  }
}
const closed = new Int32Array(workerData.closed);
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return parentPort.postMessage(checkpoint());
  clearInterval(timer);
  db.close();
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
});
`;

/** How long closing waits for the worker to let go of its connection. */
const CLOSE_WAIT_MS = 1000;

export interface WalCheckpointer {
  /** Runs a checkpoint now, on the worker; resolves with SQLite's answer. For tests. */
  checkpointNow(): Promise<{ busy: number; log: number; checkpointed: number }>;
  /**
   * Closes the worker's connection before returning, so that the app's connection, closed next,
   * is the last one: only the last connection to close checkpoints the WAL and removes it.
   */
  stop(): void;
}

/**
 * Moves SQLite's WAL checkpoints off the event loop. A checkpoint copies the write-ahead log back
 * into the database file and syncs that file: with SQLite's automatic checkpoint, every 1,000 pages
 * of writes one request paid for that sync on the event loop, tens of milliseconds during which no
 * other request ran (the tail of the write latency in docs/benchmarks.md). Here the automatic
 * checkpoint is turned off on the app's connection and a worker thread with a connection of its
 * own runs a PASSIVE checkpoint every `intervalMs`: it never blocks a writer, and durability is
 * unchanged (commits are in the WAL either way). If the worker fails, the automatic checkpoint is
 * turned back on.
 */
export function startWalCheckpointer(
  sqlite: SqliteDatabase.Database,
  file: string,
  options: { intervalMs?: number } = {},
): WalCheckpointer {
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopped = false;
  let exited = false;
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      intervalMs: options.intervalMs ?? 1000,
      closed: closed.buffer,
    },
  });
  // A checkpoint every second must not keep a finished process (the CLI, a test) alive.
  worker.unref();
  const fallBack = (): void => {
    if (!stopped && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  worker.once('error', fallBack);
  worker.once('exit', () => {
    exited = true;
    fallBack();
  });
  return {
    checkpointNow: () =>
      new Promise((resolve, reject) => {
        worker.once(
          'message',
          (answer: { error?: string; busy: number; log: number; checkpointed: number }) => {
            if (answer.error === undefined) resolve(answer);
            else reject(new Error(answer.error));
          },
        );
        worker.postMessage('checkpoint');
      }),
    stop: () => {
      stopped = true;
      if (!exited) {
        // Closing is synchronous (Kysely's destroy does not wait), so the main thread blocks the
        // moment the worker needs to close; terminating it instead would leave its connection open
        // past the app's, and the WAL behind.
        worker.postMessage('close');
        Atomics.wait(closed, 0, 0, CLOSE_WAIT_MS);
      }
      void worker.terminate();
    },
  };
}
