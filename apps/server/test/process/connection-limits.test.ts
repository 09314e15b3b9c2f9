import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalogue } from '@portcullis/contract/errors';
import { apiHeaders } from '../../src/plugins/security-headers.js';

/**
 * What Node refuses before Fastify runs (oversized or malformed requests, timeouts), slow and
 * greedy clients, and the hash queue's fair share, against the bundled server over real sockets.
 * Deadlines are configured short (2 and 3 s) and each assertion allows under twice the bound,
 * where the old code took 30 to 120 s.
 */
const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const serverJs = path.join(serverDir, 'bundle/server.js');
const cliJs = path.join(serverDir, 'dist/cli.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  elapsedMs: number;
}

function parseRaw(text: string, elapsedMs: number): RawReply {
  const split = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...headerLines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(statusLine.split(' ')[1]),
    headers,
    body: text.slice(split + 4),
    elapsedMs,
  };
}

/** Sends `head`, then each of `trickle` one per second, and reads until the server closes. */
function exchange(
  port: number,
  head: string,
  options: { trickle?: string; localAddress?: string } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host: '127.0.0.1', port, localAddress: options.localAddress });
    let received = '';
    let trickle: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(trickle);
      resolve(parseRaw(received, performance.now() - started));
    });
    socket.once('connect', () => {
      socket.write(head);
      const rest = [...(options.trickle ?? '')];
      if (rest.length > 0) {
        trickle = setInterval(() => {
          const next = rest.shift();
          if (next === undefined || socket.destroyed) clearInterval(trickle);
          else socket.write(next);
        }, 1000);
      }
    });
    socket.setTimeout(20_000, () => {
      socket.destroy();
      reject(new Error('no answer within 20 s'));
    });
  });
}

/** One request on its own connection (Connection: close), answered in full. */
function request(port: number, head: string, body = ''): Promise<RawReply> {
  return exchange(
    port,
    `${head}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function expectEnvelope(reply: RawReply, status: number, code: keyof typeof errorCatalogue): void {
  expect(reply.status).toBe(status);
  const body = JSON.parse(reply.body) as {
    error: { code: string; message: string; requestId: string };
  };
  expect(body).toEqual({
    error: { code, message: errorCatalogue[code].message, requestId: expect.any(String) as string },
  });
  expect(reply.headers['x-request-id']).toBe(body.error.requestId);
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(reply.headers.connection).toBe('close');
  for (const [name, value] of Object.entries(apiHeaders)) expect(reply.headers[name]).toBe(value);
}

async function waitForHealth(port: number, child: ChildProcess, tls: boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${String(child.exitCode)}`);
    const healthy = await (
      tls
        ? tlsGet(port, '/healthz').then((status) => status === 200)
        : request(port, 'GET /healthz HTTP/1.1\r\nhost: localhost\r\n').then(
            (r) => r.status === 200,
          )
    ).catch(() => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error('server did not become healthy');
}

function tlsGet(port: number, target: string, localAddress?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // tls.connect hands its options to net.connect, which takes localAddress; the TLS option
    // type does not list it.
    const options = { host: '127.0.0.1', port, rejectUnauthorized: false, localAddress };
    const socket = tlsConnect(options as ConnectionOptions);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('secureConnect', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      resolve(parseRaw(received, 0).status);
    });
  });
}

function startServer(env: Record<string, string>, dataDir: string) {
  return spawn(process.execPath, [serverJs], {
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

describe('behind a proxy (plain HTTP): Node refusals, slow clients, hash fair share', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-limits-'));
  const email = 'fair@example.com';
  const password = 'plinth quarry velvet lantern';
  let child: ChildProcess;
  let port: number;

  beforeAll(async () => {
    const created = spawnSync(
      process.execPath,
      [cliJs, 'user', 'create', '--email', email, '--name', 'Fair', '--role', 'user'],
      {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir },
        input: `${password}\n`,
        timeout: 20_000,
      },
    );
    expect(created.status).toBe(0);
    port = await freePort();
    child = startServer(
      {
        PORT: String(port),
        TRUST_PROXY: '127.0.0.1',
        REQUEST_TIMEOUT_SECONDS: '2',
        HEADERS_TIMEOUT_SECONDS: '2',
        HASH_CONCURRENCY: '1',
        HASH_QUEUE_MAX: '16',
        HASH_QUEUE_PER_CLIENT_MAX: '4',
        UV_THREADPOOL_SIZE: '3',
      },
      dataDir,
    );
    await waitForHealth(port, child, false);
  }, 45_000);

  afterAll(() => {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a 20 KB header 431 header_too_large in the envelope with the API headers', async () => {
    const reply = await exchange(
      port,
      `GET /api/csrf HTTP/1.1\r\nhost: localhost\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectEnvelope(reply, 431, 'header_too_large');
  });

  it.each([
    ['a malformed request line', 'GET / HTTP/1.1 junk\r\nhost: localhost\r\n\r\n'],
    ['a malformed header', 'GET / HTTP/1.1\r\nhost: localhost\r\nno colon here\r\n\r\n'],
  ])('answers %s 400 bad_request in the envelope with the API headers', async (_name, head) => {
    expectEnvelope(await exchange(port, head), 400, 'bad_request');
  });

  it('answers headers never finished 408 request_timeout within twice the 2 s bound', async () => {
    const reply = await exchange(port, 'GET /api/csrf HTTP/1.1\r\nhost: localhost\r\n');
    expectEnvelope(reply, 408, 'request_timeout');
    expect(reply.elapsedMs).toBeLessThan(4000);
  }, 15_000);

  it('cuts a 1-byte-per-second body with a valid CSRF token within twice the 2 s bound', async () => {
    const csrf = await request(port, 'GET /api/csrf HTTP/1.1\r\nhost: localhost\r\n');
    const token = (JSON.parse(csrf.body) as { csrfToken: string }).csrfToken;
    const cookie = (csrf.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    const body = JSON.stringify({ email, password });
    const reply = await exchange(
      port,
      'POST /api/login HTTP/1.1\r\nhost: localhost\r\norigin: https://localhost\r\n' +
        `content-type: application/json\r\ncookie: ${cookie}\r\nx-csrf-token: ${token}\r\n` +
        `content-length: ${body.length}\r\n\r\n`,
      { trickle: body },
    );
    expectEnvelope(reply, 408, 'request_timeout');
    expect(reply.elapsedMs).toBeLessThan(4000);
  }, 15_000);

  it("serves another client's sign-in while one client bursts 40 (it gets 429, never 503)", async () => {
    const csrf = await request(port, 'GET /api/csrf HTTP/1.1\r\nhost: localhost\r\n');
    const token = (JSON.parse(csrf.body) as { csrfToken: string }).csrfToken;
    const cookie = (csrf.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    const login = (client: string, body: string) =>
      request(
        port,
        'POST /api/login HTTP/1.1\r\nhost: localhost\r\norigin: https://localhost\r\n' +
          `content-type: application/json\r\ncookie: ${cookie}\r\nx-csrf-token: ${token}\r\n` +
          `x-forwarded-for: ${client}\r\n`,
        body,
      );
    const burst = Array.from({ length: 40 }, (_, i) =>
      login('203.0.113.10', JSON.stringify({ email: `nobody${i}@example.com`, password })),
    );
    // Once the first of the burst is refused, the queue is as full as that client can make it.
    await Promise.race(burst);
    const other = await login('198.51.100.20', JSON.stringify({ email, password }));
    const burstReplies = await Promise.all(burst);
    expect(other.status).toBe(200);
    const statuses = burstReplies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 503)).toEqual([]);
    // The client holds at most 4 hashes at once, but each hash that finishes while its 40
    // connections are still arriving frees a place for the next: on a loaded machine the burst
    // takes a few hundred milliseconds to arrive, so a few more than 4 are served.
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(12);
    const refused = burstReplies.filter((reply) => reply.status === 429);
    expect(refused.length).toBe(40 - statuses.filter((status) => status === 401).length);
    expect(
      refused.map((reply) => (JSON.parse(reply.body) as { error: { code: string } }).error.code),
    ).toContain('rate_limited');
  }, 60_000);
});

describe('terminating TLS itself: handshake deadline and connections per client', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-limits-tls-'));
  let child: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    child = startServer(
      {
        PORT: String(port),
        HTTP_PORT: '0',
        MAX_CONNECTIONS_PER_CLIENT: '4',
        TLS_HANDSHAKE_TIMEOUT_SECONDS: '3',
      },
      dataDir,
    );
    await waitForHealth(port, child, true);
  }, 45_000);

  afterAll(() => {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = (localAddress?: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress }, () => {
        resolve(socket);
      });
      socket.on('error', reject);
    });
  const closedWithin = (socket: Socket, ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        resolve(false);
      }, ms);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  it('closes a connection that never starts its handshake within twice the 3 s bound', async () => {
    const silent = await open();
    silent.on('error', () => undefined);
    expect(await closedWithin(silent, 6000)).toBe(true);
  }, 15_000);

  it('refuses a fifth connection from one address while another address is served', async () => {
    const held = await Promise.all([open(), open(), open(), open()]);
    for (const socket of held) socket.on('error', () => undefined);
    const fifth = await open();
    fifth.on('error', () => undefined);
    expect(await closedWithin(fifth, 1000)).toBe(true);
    expect(await tlsGet(port, '/healthz', '127.0.0.2')).toBe(200);
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await tlsGet(port, '/healthz')).toBe(200);
  }, 15_000);
});

describe('UV_THREADPOOL_SIZE', () => {
  it('stops the process naming it when it leaves hashes fewer than two spare threads', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-pool-'));
    const result = spawnSync(process.execPath, [serverJs], {
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        PORT: '0',
        HTTP_PORT: '0',
        HASH_CONCURRENCY: '4',
        UV_THREADPOOL_SIZE: '4',
      },
      encoding: 'utf8',
      timeout: 15_000,
    });
    rmSync(dataDir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'portcullis: configuration error: UV_THREADPOOL_SIZE: must be at least HASH_CONCURRENCY + 2 (6), is 4',
    ]);
  }, 20_000);
});
