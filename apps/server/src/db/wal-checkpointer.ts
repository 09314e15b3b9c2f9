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
setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => parentPort.postMessage(checkpoint()));
`;

export interface WalCheckpointer {
  /** Runs a checkpoint now, on the worker; resolves with SQLite's answer. For tests. */
  checkpointNow(): Promise<{ busy: number; log: number; checkpointed: number }>;
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
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      intervalMs: options.intervalMs ?? 1000,
    },
  });
  // A checkpoint every second must not keep a finished process (the CLI, a test) alive.
  worker.unref();
  const fallBack = (): void => {
    if (!stopped && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  worker.once('error', fallBack);
  worker.once('exit', fallBack);
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
      void worker.terminate();
    },
  };
}
