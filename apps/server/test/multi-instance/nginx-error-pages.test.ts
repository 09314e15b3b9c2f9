import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalogue, type ErrorCode } from '@portcullis/contract/errors';
import { apiHeaders } from '../../src/plugins/security-headers.js';
import {
  canBind,
  randomLoopbackAddress,
  send,
  startInstance,
  type HttpReply,
  type Instance,
} from '../support/live-processes.js';
import { nginxExecutable, startNginx, type RunningNginx } from '../support/nginx.js';

/**
 * What nginx answers itself, through deploy/nginx.conf as shipped: a body over the limit, the
 * sign-in rate, no instance reachable, none answering in time. For /api/ paths each is the API's
 * envelope with the catalogue's code and message, the API's security headers, Retry-After where a
 * retry makes sense, and nginx's request id in the body and in X-Request-Id; other paths keep an
 * HTML page. Instances here are single SQLite ones: only nginx's own answers are under test.
 */

const clientIp = randomLoopbackAddress();
const aliasUsable = await canBind(clientIp);
const missing = [
  ...(nginxExecutable === undefined ? ['nginx is not installed'] : []),
  ...(aliasUsable ? [] : [`the loopback alias ${clientIp} cannot be used`]),
];
if (missing.length > 0) console.warn(`nginx error pages: skipped, ${missing.join('; ')}`);

/** The reply is exactly the API's error for `code`, as nginx made it. */
function expectProxyError(reply: HttpReply, code: ErrorCode, status: number): void {
  expect(reply.status, reply.body).toBe(status);
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  const requestId = reply.headers['x-request-id'];
  expect(requestId).toMatch(/^[0-9a-f]{32}$/);
  expect(JSON.parse(reply.body)).toEqual({
    error: { code, message: errorCatalogue[code].message, requestId },
  });
  expect(errorCatalogue[code].status).toBe(status);
  for (const [name, value] of Object.entries(apiHeaders)) {
    expect(reply.headers[name], name).toBe(value);
  }
}

function expectHtmlPage(reply: HttpReply, status: number): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('text/html');
  expect(reply.body).toContain(`<title>${status} `);
}

describe.skipIf(missing.length > 0)("nginx's own answers through deploy/nginx.conf", () => {
  const instances: Instance[] = [];
  const hangingSockets = new Set<Socket>();
  const hanging: Server[] = [];
  let live: RunningNginx | undefined;
  let stalled: RunningNginx | undefined;

  const through = (
    proxy: RunningNginx | undefined,
    pathname: string,
    options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
  ) =>
    send(`${proxy?.baseUrl ?? ''}${pathname}`, {
      ...options,
      localAddress: clientIp,
      ca: proxy?.cert ?? '',
      timeoutMs: 15_000,
    });

  beforeAll(async () => {
    // Two real instances, and a loopback server that accepts connections and never answers.
    const env = {
      TRUST_PROXY: '127.0.0.1',
      JWT_SECRETS: randomBytes(32).toString('base64url'),
      CSRF_SECRET: randomBytes(32).toString('base64url'),
    };
    instances.push(...(await Promise.all([startInstance(env), startInstance(env)])));
    const [a, b] = instances as [Instance, Instance];
    live = await startNginx([a.port, b.port]);

    // Two loopback servers that accept connections and never answer.
    const hangPorts: number[] = [];
    for (let i = 0; i < 2; i++) {
      const server = createServer((socket) => {
        hangingSockets.add(socket);
        socket.on('close', () => hangingSockets.delete(socket));
      });
      hanging.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      hangPorts.push(typeof address === 'object' && address !== null ? address.port : 0);
    }
    const [hangA = 0, hangB = 0] = hangPorts;
    stalled = await startNginx(
      [hangA, hangB],
      [
        // Shortened from 30 s so the test takes seconds.
        ['proxy_read_timeout 30s;', 'proxy_read_timeout 1s;'],
        // Not marked down after a timeout, so the HTML check below meets a hang too, not a 502.
        [`server 127.0.0.1:${hangA} max_fails=1 `, `server 127.0.0.1:${hangA} max_fails=0 `],
        [`server 127.0.0.1:${hangB} max_fails=1 `, `server 127.0.0.1:${hangB} max_fails=0 `],
      ],
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all([live?.stop(), stalled?.stop()]);
    await Promise.all(instances.map((instance) => instance.stop()));
    for (const socket of hangingSockets) socket.destroy();
    await Promise.all(hanging.map((server) => new Promise((resolve) => server.close(resolve))));
  }, 60_000);

  it('a body over 1 MiB: 413 payload_too_large for /api/, without Retry-After; HTML elsewhere', async () => {
    const oversize = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(1024 * 1024 + 1) },
      body: Buffer.alloc(1024 * 1024 + 1, 0x20),
    };
    const api = await through(live, '/api/notes', oversize);
    expectProxyError(api, 'payload_too_large', 413);
    expect(api.headers['retry-after']).toBeUndefined();
    // Loose matching of API paths: a respelled prefix is still answered in JSON.
    expectProxyError(await through(live, '//API/notes', oversize), 'payload_too_large', 413);
    expectHtmlPage(await through(live, '/notes', oversize), 413);
    // Answers from an instance pass untouched: its own 404 stays its own (a uuid request id).
    const fromApp = await through(live, '/api/no-such-route');
    expect(fromApp.status).toBe(404);
    expect(fromApp.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  }, 30_000);

  it('the sign-in rate at the proxy: 429 rate_limited with Retry-After: 2', async () => {
    // 30 a minute with a burst of 20: sent back to back, the 22nd at the latest is refused here.
    // Those let through reach an instance, which refuses them itself (no CSRF token: 403).
    const statuses: number[] = [];
    let refused: HttpReply | undefined;
    for (let attempt = 1; attempt <= 25 && refused === undefined; attempt++) {
      const reply = await through(live, '/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      statuses.push(reply.status);
      if (reply.status === 429) refused = reply;
    }
    expect(statuses.slice(0, 20)).toEqual(Array<number>(20).fill(403));
    expect(refused).toBeDefined();
    if (refused === undefined) return;
    expectProxyError(refused, 'rate_limited', 429);
    expect(refused.headers['retry-after']).toBe('2');
  }, 30_000);

  it('instances that hang past the proxy timeout: 504 upstream_timeout with Retry-After: 5', async () => {
    const started = Date.now();
    const api = await through(stalled, '/api/notes');
    const elapsed = Date.now() - started;
    expectProxyError(api, 'upstream_timeout', 504);
    expect(api.headers['retry-after']).toBe('5');
    // One second on each of the two upstreams (proxy_next_upstream_tries 2), then the answer.
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(6000);
    expectHtmlPage(await through(stalled, '/notes'), 504);
  }, 30_000);

  it('both instances stopped: 502 upstream_unavailable with Retry-After: 5, HTML elsewhere', async () => {
    expect((await through(live, '/api/session')).status).toBe(200);
    await Promise.all(instances.map((instance) => instance.stop()));
    const api = await through(live, '/api/session');
    expectProxyError(api, 'upstream_unavailable', 502);
    expect(api.headers['retry-after']).toBe('5');
    // Once both are marked down (fail_timeout), nginx answers at once without trying: still JSON.
    const again = await through(live, '/api/notes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expectProxyError(again, 'upstream_unavailable', 502);
    expect(again.headers['x-request-id']).not.toBe(api.headers['x-request-id']);
    expectHtmlPage(await through(live, '/'), 502);
  }, 30_000);
});
