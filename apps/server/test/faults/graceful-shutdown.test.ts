import { existsSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '@portcullis/contract/auth';
import {
  Browser,
  registerVerified,
  directRoute,
  errorCode,
  sleep,
  startInstance,
  strongPassword,
  uniqueEmail,
  type HttpReply,
  type Instance,
} from '../support/live-processes.js';

/**
 * SIGTERM, as systemd or an orchestrator sends it on a deploy: the instance stops accepting,
 * finishes the requests it has (for at most SHUTDOWN_TIMEOUT_SECONDS), closes its database and
 * exits 0; no write it acknowledged is lost. The instance keeps its data in SQLite, so the database
 * file can be opened once the process is gone and nothing outside this test is involved.
 */

const origin = 'https://localhost';
const clientIp = '203.0.113.9';

/** Every phase of these tests is bounded; a hang fails the test, never the whole run. */
function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

interface RawReply {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 connection written byte by byte, so a request can be left half-sent while the
 * signal lands, and kept open afterwards as a proxy's upstream keep-alive connection would be.
 */
class RawConnection {
  private received = Buffer.alloc(0);
  /** When the server ended the connection, and whether it reset it rather than closing it. */
  readonly closed: Promise<{ at: number; reset: boolean }>;
  private resetSeen = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') this.resetSeen = true;
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        resolve({ at: Date.now(), reset: this.resetSeen });
      });
    });
  }

  static open(port: number): Promise<RawConnection> {
    return within(
      'a connection',
      new Promise<RawConnection>((resolve, reject) => {
        const socket = createConnection({ host: '127.0.0.1', port });
        socket.once('connect', () => {
          resolve(new RawConnection(socket));
        });
        socket.once('error', reject);
      }),
      5000,
    );
  }

  write(data: string): void {
    this.socket.write(data);
  }

  get isOpen(): boolean {
    return !this.socket.destroyed;
  }

  /** The next complete response (a Content-Length body), or an error if the connection ends first. */
  async response(timeoutMs: number): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.received.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine = '', ...lines] = this.received.subarray(0, end).toString().split('\r\n');
        const headers = new Map<string, string>();
        for (const line of lines) {
          const colon = line.indexOf(':');
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        const length = Number(headers.get('content-length') ?? 0);
        if (this.received.length >= end + 4 + length) {
          const body = this.received.subarray(end + 4, end + 4 + length).toString();
          this.received = this.received.subarray(end + 4 + length);
          return { status: Number(statusLine.split(' ')[1]), headers, body };
        }
      }
      if (this.socket.destroyed) {
        throw new Error(`connection ended before a full response (${this.received.length} bytes)`);
      }
      if (Date.now() > deadline) throw new Error(`no full response in ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Whether a new TCP connection to the port is 'accepted' or 'refused' (or the error code). */
function probe(port: number): Promise<string> {
  return within(
    'a connection attempt',
    new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('accepted');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        resolve(error.code === 'ECONNREFUSED' ? 'refused' : String(error.code));
      });
    }),
    3000,
  );
}

/** A signed-in user who may write notes, and what a raw POST /api/notes needs to pass CSRF. */
async function signedIn({ port, dataDir }: Instance) {
  const route = directRoute(port, clientIp);
  const browser = new Browser(origin, route);
  const email = uniqueEmail('shutdown');
  const password = strongPassword();
  await registerVerified(browser, dataDir, { email, password, name: 'S' });
  const csrf = await browser.get('/api/csrf');
  const { csrfToken } = JSON.parse(csrf.body) as { csrfToken: string };

  /**
   * The head and the body of a note, to be sent separately. The head asks for 100 Continue, which
   * the server sends once it has parsed the head and started the request: from then on the request
   * is in flight, whatever the timing.
   */
  const rawNote = (title: string) => {
    const body = JSON.stringify({ title, body: 'sent across the signal' });
    const head = [
      'POST /api/notes HTTP/1.1',
      `host: 127.0.0.1:${port}`,
      'content-type: application/json',
      `content-length: ${Buffer.byteLength(body)}`,
      'expect: 100-continue',
      `origin: ${origin}`,
      `${CSRF_HEADER}: ${csrfToken}`,
      `cookie: ${[...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ')}`,
      ...Object.entries(route.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    return { head, body };
  };
  return { browser, rawNote };
}

function sqliteFile(instance: Instance): string {
  return path.join(instance.dataDir, 'portcullis.sqlite');
}

/** The ids of the notes in the instance's database; only once its process has exited. */
function storedNoteIds(instance: Instance): string[] {
  const db = new SqliteDatabase(sqliteFile(instance), { fileMustExist: true });
  try {
    return (db.prepare('select id from notes').all() as { id: string }[]).map((row) => row.id);
  } finally {
    db.close();
  }
}

interface Outcome {
  sentAt: number;
  reply?: HttpReply;
  error?: string;
  noteId?: string;
}

describe('SIGTERM', () => {
  let instance: Instance | undefined;

  afterEach(async () => {
    await instance?.stop(2000);
    instance = undefined;
  }, 15_000);

  it('stops accepting, finishes in-flight requests, closes the database, exits 0 and loses no acknowledged write', async () => {
    const shutdownTimeoutMs = 10_000;
    instance = await startInstance({
      TRUST_PROXY: '127.0.0.1',
      PUBLIC_ORIGIN: origin,
      // Four clients writing as fast as they can; the general limit is not under test.
      RATE_LIMIT_MAX: '1000000',
      SHUTDOWN_TIMEOUT_SECONDS: String(shutdownTimeoutMs / 1000),
    });
    const { port, child } = instance;
    const { browser, rawNote } = await signedIn(instance);

    // A steady write load, each request on a connection of its own.
    const outcomes: Outcome[] = [];
    let stopAt = Date.now() + 30_000;
    let sequence = 0;
    const worker = async () => {
      while (Date.now() < stopAt) {
        const outcome: Outcome = { sentAt: Date.now() };
        outcomes.push(outcome);
        try {
          outcome.reply = await browser.request('POST', '/api/notes', {
            json: { title: `load ${++sequence}`, body: 'written while the instance stops' },
            timeoutMs: 15_000,
          });
          if (outcome.reply.status === 201) {
            outcome.noteId = (JSON.parse(outcome.reply.body) as { id: string }).id;
          }
        } catch (error) {
          outcome.error = (error as NodeJS.ErrnoException).code ?? String(error);
          // The instance no longer accepts connections: this client is done.
          return;
        }
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    await sleep(1000);

    // An idle keep-alive connection, as a proxy keeps them to its upstreams.
    const idle = await RawConnection.open(port);
    idle.write(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
    expect((await idle.response(5000)).status).toBe(200);
    // A write in flight: the server has started it and half its body is sent; the rest comes after
    // the signal.
    const inFlight = await RawConnection.open(port);
    const slow = rawNote('in flight at SIGTERM');
    inFlight.write(slow.head);
    expect((await inFlight.response(5000)).status).toBe(100);
    const half = Math.floor(slow.body.length / 2);
    inFlight.write(slow.body.slice(0, half));

    const killedAt = Date.now();
    child.kill('SIGTERM');

    // New connections are refused at once, while the instance is still draining.
    let refusedAt: number | undefined;
    const attempts: string[] = [];
    while (refusedAt === undefined && Date.now() - killedAt < 3000) {
      const result = await probe(port);
      attempts.push(result);
      if (result === 'refused') refusedAt = Date.now();
      else await sleep(20);
    }
    expect(refusedAt, attempts.join(' ')).toBeDefined();
    expect(child.exitCode).toBeNull();
    // The idle keep-alive connection was closed, not left to hold the shutdown up.
    const idleClosed = await within('the idle connection to close', idle.closed, 2000);
    expect(idleClosed.reset).toBe(false);
    expect(inFlight.isOpen).toBe(true);

    // The in-flight write completes: the rest of its body is read and it is answered in full.
    await sleep(300);
    expect(child.exitCode).toBeNull();
    inFlight.write(slow.body.slice(half));
    const slowReply = await inFlight.response(5000);
    expect(slowReply.status, slowReply.body).toBe(201);
    const slowNoteId = (JSON.parse(slowReply.body) as { id: string }).id;
    // The server ends the connection once the answer is out, instead of keeping it alive.
    const inFlightClosed = await within('the in-flight connection to close', inFlight.closed, 2000);
    expect(inFlightClosed.reset).toBe(false);

    const exit = await within('the process to exit', instance.exited, shutdownTimeoutMs + 5000);
    stopAt = 0;
    await within('the load to stop', load, 20_000);
    expect([exit.code, exit.signal], instance.output()).toEqual([0, null]);
    // Well inside the deadline: nothing was left to wait for once the last answer was out.
    expect(exit.at - inFlightClosed.at).toBeLessThan(2000);
    expect(exit.at - killedAt).toBeLessThan(shutdownTimeoutMs);

    // The load: every answer is a 201, or a 503 for a request that came in as closing began; a client
    // is otherwise refused, or reset if its connection raced the signal before a byte of its request
    // was read. Nothing hangs, and nothing is a 500.
    const summary = outcomes
      .filter((o) => o.reply?.status !== 201)
      .map((o) => `${String(o.sentAt - killedAt)}ms:${String(o.reply?.status ?? o.error)}`)
      .join(' ');
    const acknowledged = outcomes.flatMap((o) => (o.noteId === undefined ? [] : [o.noteId]));
    expect(acknowledged.length, summary).toBeGreaterThan(20);
    expect(
      outcomes.some((o) => o.sentAt < killedAt && o.reply?.status === 201),
      summary,
    ).toBe(true);
    for (const outcome of outcomes) {
      if (outcome.reply !== undefined) {
        expect([201, 503], summary).toContain(outcome.reply.status);
        if (outcome.reply.status === 503) {
          // Refused in the API's envelope, telling the client when to retry and that it must
          // reconnect (to another instance, behind a proxy).
          expect(errorCode(outcome.reply), summary).toBe('server_busy');
          expect(outcome.reply.headers['retry-after'], summary).toBe('1');
          expect(outcome.reply.headers.connection, summary).toBe('close');
        }
      } else {
        expect(['ECONNREFUSED', 'ECONNRESET'], summary).toContain(outcome.error);
      }
    }

    // The database was closed cleanly: SQLite checkpoints its write-ahead log and removes it when
    // the last connection closes.
    const wal = `${sqliteFile(instance)}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    // Every acknowledged note is there, and nothing was written without being acknowledged.
    const stored = storedNoteIds(instance);
    expect(stored.sort()).toEqual([...acknowledged, slowNoteId].sort());
  }, 90_000);

  it('is bounded: a request held open cannot keep the process past SHUTDOWN_TIMEOUT_SECONDS', async () => {
    instance = await startInstance({
      TRUST_PROXY: '127.0.0.1',
      PUBLIC_ORIGIN: origin,
      SHUTDOWN_TIMEOUT_SECONDS: '1',
    });
    const { port, child } = instance;
    const { browser, rawNote } = await signedIn(instance);
    const written = await browser.post('/api/notes', { title: 'before', body: 'acknowledged' });
    expect(written.status, written.body).toBe(201);
    const writtenId = (JSON.parse(written.body) as { id: string }).id;

    // A client that sends a head and part of a body, then nothing more.
    const stuck = await RawConnection.open(port);
    const note = rawNote('never finished');
    stuck.write(note.head);
    expect((await stuck.response(5000)).status).toBe(100);
    stuck.write(note.body.slice(0, 5));

    const killedAt = Date.now();
    child.kill('SIGTERM');
    const exit = await within('the process to exit', instance.exited, 10_000);
    // It waited for the request, up to the deadline and not much longer, then gave up: exit 1.
    expect([exit.code, exit.signal], instance.output()).toEqual([1, null]);
    expect(exit.at - killedAt).toBeGreaterThanOrEqual(900);
    expect(exit.at - killedAt).toBeLessThan(4000);
    expect(instance.output()).toContain('shutdown timed out');
    await within('the held connection to close', stuck.closed, 2000);

    // Even a forced exit loses nothing acknowledged: the write-ahead log is replayed on open.
    expect(storedNoteIds(instance)).toEqual([writtenId]);
  }, 60_000);
});
