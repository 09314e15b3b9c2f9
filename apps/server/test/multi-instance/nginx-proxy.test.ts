import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '@portcullis/contract/auth';
import { ensureDevCertificate } from '../../src/lib/dev-certificate.js';
import {
  Browser,
  canBind,
  directRoute,
  dropSchema,
  errorCode,
  findExecutable,
  freePort,
  privateSchemaName,
  randomForeignAddress,
  randomLoopbackAddress,
  reachable,
  repoRoot,
  runCli,
  schemaUrl,
  send,
  sharedDatabaseUrl,
  sharedRedisUrl,
  sleep,
  startInstance,
  strongPassword,
  uniqueEmail,
  withSchema,
  type Instance,
  type Route,
} from '../support/live-processes.js';

/**
 * deploy/nginx.conf as shipped, in front of two instances of the compiled server that share a
 * private PostgreSQL schema and the machine's Redis: what one instance decides binds on the other,
 * and the client address the app counts is the one nginx saw, whatever the client claims.
 */

const shippedConfigFile = path.join(repoRoot, 'deploy/nginx.conf');
const nginx = findExecutable('nginx');
/** This run's client: requests through nginx come from this loopback alias. */
const clientIp = randomLoopbackAddress();

const [databaseUp, redisUp, aliasUsable] = await Promise.all([
  reachable(sharedDatabaseUrl),
  reachable(sharedRedisUrl),
  canBind(clientIp),
]);
const missing = [
  ...(nginx === undefined ? ['nginx is not installed'] : []),
  ...(databaseUp ? [] : [`PostgreSQL (${sharedDatabaseUrl}) is not reachable`]),
  ...(redisUp ? [] : [`Redis (${sharedRedisUrl}) is not reachable`]),
  ...(aliasUsable ? [] : [`the loopback alias ${clientIp} cannot be used`]),
];
if (missing.length > 0) console.warn(`multi-instance (nginx): skipped, ${missing.join('; ')}`);

/**
 * The shipped file with only these substitutions: listen addresses (loopback, high ports, no IPv6),
 * certificate paths, upstream ports and the redirect origin. Each must occur exactly once, so the
 * test fails loudly instead of testing something else when the shipped file changes.
 */
function renderNginxConfig(
  shipped: string,
  values: {
    httpPort: number;
    tlsPort: number;
    certFile: string;
    keyFile: string;
    upstreamPorts: [number, number];
    origin: string;
  },
): string {
  const replacements: [string, string][] = [
    ['    listen 80;\n', `    listen 127.0.0.1:${values.httpPort};\n`],
    ['    listen [::]:80;\n', ''],
    ['    listen 443 ssl http2;\n', `    listen 127.0.0.1:${values.tlsPort} ssl http2;\n`],
    ['    listen [::]:443 ssl http2;\n', ''],
    ['ssl_certificate /etc/ssl/portcullis/fullchain.pem;', `ssl_certificate ${values.certFile};`],
    [
      'ssl_certificate_key /etc/ssl/portcullis/privkey.pem;',
      `ssl_certificate_key ${values.keyFile};`,
    ],
    ['server 127.0.0.1:3001 ', `server 127.0.0.1:${values.upstreamPorts[0]} `],
    ['server 127.0.0.1:3002 ', `server 127.0.0.1:${values.upstreamPorts[1]} `],
    ['https://portcullis.example.com$request_uri', `${values.origin}$request_uri`],
  ];
  let rendered = shipped;
  for (const [from, to] of replacements) {
    const parts = rendered.split(from);
    if (parts.length !== 2) {
      throw new Error(
        `deploy/nginx.conf: expected "${from.trim()}" once, found ${parts.length - 1}`,
      );
    }
    rendered = parts.join(to);
  }
  return rendered;
}

/**
 * The main configuration nginx needs around the shipped http-context file when it runs outside
 * /etc/nginx. The X-Upstream response header is the test's only addition: it names the instance
 * that answered, so the test can tell them apart without any change to the server.
 */
function mainConfig(dir: string, includeFile: string): string {
  // As root, workers drop to nobody (they only touch the temp paths below).
  const nobodyGroup = spawnSync('id', ['-gn', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  const user = process.getuid?.() === 0 ? `user nobody ${nobodyGroup || 'nogroup'};` : '';
  return `${user}
worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${dir}/body_temp;
    proxy_temp_path ${dir}/proxy_temp;
    fastcgi_temp_path ${dir}/fastcgi_temp;
    uwsgi_temp_path ${dir}/uwsgi_temp;
    scgi_temp_path ${dir}/scgi_temp;
    add_header X-Upstream $upstream_addr always;
    include ${includeFile};
}
`;
}

describe.skipIf(missing.length > 0)('two instances behind deploy/nginx.conf', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-nginx-'));
  const schema = privateSchemaName('pc_mi');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const instances: Instance[] = [];
  let nginxProcess: ChildProcess | undefined;
  let nginxOutput = '';
  let cert = '';
  let origin = '';
  let httpPort = 0;
  let proxy: Route;
  let upstreamA = '';
  let upstreamB = '';
  let portA = 0;
  let portB = 0;
  let directA: Route;
  let directB: Route;
  let instanceEnv: Record<string, string> = {};

  const diagnostics = () => {
    let errorLog = '';
    try {
      errorLog = readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      // not written yet
    }
    return `nginx:\n${nginxOutput}${errorLog}\n${instances
      .map((instance) => `instance :${instance.port}:\n${instance.output()}`)
      .join('\n')}`;
  };

  /** A new account signed in through nginx; the browser's requests keep going through nginx. */
  async function signUp(
    label: string,
  ): Promise<{ browser: Browser; user: User; password: string }> {
    const browser = new Browser(origin, proxy);
    const email = uniqueEmail(label);
    const password = strongPassword();
    const registered = await browser.post('/api/register', { email, password, name: label });
    expect(registered.status, registered.body).toBe(202);
    // Test-only shortcut: the mailed verification link is proven in account-flows.test.ts.
    await withSchema(schema, (client) =>
      client.query('update users set email_verified_at = created_at where email = $1', [email]),
    );
    const login = await browser.post('/api/login', { email, password });
    expect(login.status, login.body).toBe(200);
    return { browser, user: (JSON.parse(login.body) as { user: User }).user, password };
  }

  beforeAll(async () => {
    // Workers running as nobody must reach the temp paths; the key stays 0600 (read by the master).
    chmodSync(dir, 0o755);
    await ensureDevCertificate(certFile, keyFile);
    cert = readFileSync(certFile, 'utf8');
    const tlsPort = await freePort();
    httpPort = await freePort();
    origin = `https://localhost:${tlsPort}`;

    instanceEnv = {
      PUBLIC_ORIGIN: origin,
      TRUST_PROXY: '127.0.0.1',
      DATABASE_URL: schemaUrl(schema),
      REDIS_URL: sharedRedisUrl,
      INSTANCE_COUNT: '2',
      // Explicit and identical on both, as in production; the data directories differ.
      JWT_SECRETS: randomBytes(32).toString('base64url'),
      CSRF_SECRET: randomBytes(32).toString('base64url'),
      ENCRYPTION_KEYS: randomBytes(32).toString('base64url'),
      AUDIT_CHECKPOINT_KEY: randomBytes(32).toString('base64url'),
    };
    // Started together: migrations take a lock, so racing instances must both come up.
    instances.push(
      ...(await Promise.all([startInstance(instanceEnv), startInstance(instanceEnv)])),
    );
    const [a, b] = instances as [Instance, Instance];
    portA = a.port;
    portB = b.port;
    upstreamA = `127.0.0.1:${a.port}`;
    upstreamB = `127.0.0.1:${b.port}`;
    directA = directRoute(a.port, clientIp);
    directB = directRoute(b.port, clientIp);

    const siteFile = path.join(dir, 'portcullis.conf');
    const mainFile = path.join(dir, 'nginx.conf');
    writeFileSync(
      siteFile,
      renderNginxConfig(readFileSync(shippedConfigFile, 'utf8'), {
        httpPort,
        tlsPort,
        certFile,
        keyFile,
        upstreamPorts: [a.port, b.port],
        origin,
      }),
    );
    writeFileSync(mainFile, mainConfig(dir, siteFile));
    nginxProcess = spawn(
      nginx ?? 'nginx',
      [
        '-c',
        mainFile,
        '-p',
        `${dir}/`,
        '-g',
        `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    nginxProcess.stdout?.on('data', (chunk: Buffer) => (nginxOutput += chunk.toString('utf8')));
    nginxProcess.stderr?.on('data', (chunk: Buffer) => (nginxOutput += chunk.toString('utf8')));

    proxy = { baseUrl: `https://127.0.0.1:${tlsPort}`, localAddress: clientIp, ca: cert };
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (nginxProcess.exitCode !== null) throw new Error(`nginx exited:\n${diagnostics()}`);
      const reply = await send(`${proxy.baseUrl}/healthz`, {
        localAddress: clientIp,
        ca: cert,
        timeoutMs: 2000,
      }).catch(() => undefined);
      if (reply?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`nginx did not answer:\n${diagnostics()}`);
      await sleep(100);
    }
  }, 120_000);

  afterAll(async () => {
    if (nginxProcess !== undefined && nginxProcess.exitCode === null) {
      const exited = new Promise((resolve) => nginxProcess?.once('exit', resolve));
      nginxProcess.kill('SIGTERM');
      const timer = setTimeout(() => nginxProcess?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await Promise.all(instances.map((instance) => instance.stop()));
    if (databaseUp) await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('terminates TLS, redirects pages (and refuses the API) over plain HTTP, and refuses bodies over 1 MiB', async () => {
    // The client verifies the certificate (`ca`), so this is real TLS, not a skipped check.
    const health = await send(`${proxy.baseUrl}/healthz`, { localAddress: clientIp, ca: cert });
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toMatch(/max-age=\d{8,}/);
    expect(health.headers.server).toBe('nginx');

    // An attacker-chosen Host header must not choose the redirect target.
    const redirect = await send(`http://127.0.0.1:${httpPort}/notes?x=1`, {
      headers: { host: 'evil.example' },
      localAddress: clientIp,
    });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`${origin}/notes?x=1`);
    // Only pages redirect: the API over plain HTTP is refused in its envelope (ASVS 5.0 4.1.2).
    for (const target of ['/api/session', '/api', '//api/notes']) {
      const refused = await send(`http://127.0.0.1:${httpPort}${target}`, {
        localAddress: clientIp,
      });
      expect(refused.status, target).toBe(403);
      expect(refused.headers.location, target).toBeUndefined();
      expect(refused.headers['content-type'], target).toBe('application/json');
      expect((JSON.parse(refused.body) as { error: { code: string } }).error.code, target).toBe(
        'https_required',
      );
    }

    const tooLarge = await send(`${proxy.baseUrl}/api/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(1024 * 1024 + 1) },
      body: Buffer.alloc(1024 * 1024 + 1, 0x20),
      localAddress: clientIp,
      ca: cert,
    });
    expect(tooLarge.status).toBe(413);
    // nginx refused it: no instance was involved.
    expect(tooLarge.headers['x-upstream']).toBeUndefined();
  }, 60_000);

  it('decides CSRF and caching from the matched route through nginx, whatever the spelling', async () => {
    const { browser } = await signUp('spelling');
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    // nginx passes the request target on unchanged (proxy_pass without a URI), so the app sees
    // the spelling as sent and must decide from the route its router matched.
    const spellings = ['/%61pi/notes', '/api/%6eotes', '//api/notes', '/api/./notes', '/API/notes'];
    for (const rawPath of spellings) {
      const forged = await send(`${proxy.baseUrl}/`, {
        rawPath,
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'forged', body: 'cross-site' }),
        localAddress: clientIp,
        ca: cert,
      });
      expect(forged.status, `POST ${rawPath}`).toBe(403);
      expect(errorCode(forged), `POST ${rawPath}`).toBe('csrf_failed');
      const read = await send(`${proxy.baseUrl}/`, {
        rawPath,
        headers: { cookie },
        localAddress: clientIp,
        ca: cert,
      });
      expect(read.headers['cache-control'], `GET ${rawPath}`).toBe('no-store');
    }
    const notes = await browser.get('/api/notes');
    expect(JSON.parse(notes.body)).toEqual({ notes: [], nextCursor: null });
  }, 60_000);

  it('balances one signed-in browser over both instances', async () => {
    const { browser } = await signUp('balanced');
    const upstreams = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const reply = await browser.get('/api/profile');
      expect(reply.status, reply.body).toBe(200);
      upstreams.add(String(reply.headers['x-upstream']));
    }
    expect([...upstreams].sort()).toEqual([upstreamA, upstreamB].sort());
  }, 60_000);

  it('refuses cookies replayed on the other instance within 1 s of a logout', async () => {
    const { browser } = await signUp('logout');
    // Both instances have the session in their cache before the logout.
    const stolen = browser.copy();
    expect((await stolen.get('/api/profile', directA)).status).toBe(200);
    expect((await stolen.get('/api/profile', directB)).status).toBe(200);

    const logout = await browser.post('/api/logout');
    expect(logout.status, logout.body).toBe(204);
    const loggedOutAt = Date.now();
    const other = logout.headers['x-upstream'] === upstreamA ? directB : directA;
    expect([upstreamA, upstreamB]).toContain(logout.headers['x-upstream']);

    let replay = await stolen.copy().get('/api/profile', other);
    while (replay.status === 200 && Date.now() - loggedOutAt < 1000) {
      await sleep(20);
      replay = await stolen.copy().get('/api/profile', other);
    }
    const elapsed = Date.now() - loggedOutAt;
    expect(replay.status).toBe(401);
    expect(errorCode(replay)).toBe('unauthenticated');
    expect(elapsed).toBeLessThan(1000);
  }, 60_000);

  it('locks failed logins spread over both instances at the same count as on one', async () => {
    const { browser: owner, user, password } = await signUp('spread');
    await owner.post('/api/logout');
    const attacker = new Browser(origin, proxy);
    const upstreams = new Set<string>();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const reply = await attacker.post('/api/login', {
        email: user.email,
        password: `wrong-${attempt}-${password}`,
      });
      expect([reply.status, errorCode(reply)], reply.body).toEqual([401, 'invalid_credentials']);
      upstreams.add(String(reply.headers['x-upstream']));
    }
    // Neither instance saw five failures on its own, yet the sixth is refused, even the right one.
    expect([...upstreams].sort()).toEqual([upstreamA, upstreamB].sort());
    const sixth = await attacker.post('/api/login', { email: user.email, password });
    expect([sixth.status, errorCode(sixth)], sixth.body).toEqual([429, 'too_many_attempts']);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
  }, 60_000);

  it('counts the address nginx saw: a client-sent X-Forwarded-For does not dodge the throttle', async () => {
    // Control: from the trusted hop, X-Forwarded-For does name the client, so six failures from
    // six claimed addresses are six clients and the sixth is not locked. Only nginx overwriting
    // the header stands between a client and this.
    const control = new Browser(origin, directA);
    const controlEmail = uniqueEmail('xff-control');
    for (let attempt = 1; attempt <= 6; attempt++) {
      const reply = await control.post(
        '/api/login',
        { email: controlEmail, password: `wrong-${attempt}-${strongPassword()}` },
        directRoute(attempt % 2 === 0 ? portB : portA, randomForeignAddress()),
      );
      expect([reply.status, errorCode(reply)], reply.body).toEqual([401, 'invalid_credentials']);
    }

    const { browser: owner, user, password } = await signUp('xff');
    await owner.post('/api/logout');
    const attacker = new Browser(origin, proxy);
    const spoofed = (json: unknown) =>
      attacker.request('POST', '/api/login', {
        json,
        headers: { 'x-forwarded-for': randomForeignAddress() },
      });
    for (let attempt = 1; attempt <= 5; attempt++) {
      const reply = await spoofed({ email: user.email, password: `wrong-${attempt}-${password}` });
      expect([reply.status, errorCode(reply)], reply.body).toEqual([401, 'invalid_credentials']);
    }
    const sixth = await spoofed({ email: user.email, password });
    expect([sixth.status, errorCode(sixth)], sixth.body).toEqual([429, 'too_many_attempts']);

    // The audit trail holds the address nginx saw for every attempt, never a claimed one.
    const { rows } = await withSchema(schema, (client) =>
      client.query<{ ip: string | null }>(
        `select ip from audit_events where type = 'login_failed' and actor_email = $1`,
        [user.email],
      ),
    );
    expect(rows.map((row) => row.ip)).toEqual(Array<string>(6).fill(clientIp));

    // Appending ($proxy_add_x_forwarded_for) would pass the above while TRUST_PROXY lists exactly
    // nginx's address (the app reads the chain from the right), but hands the client the pen as
    // soon as TRUST_PROXY covers a network clients also come from: the shipped file overwrites.
    const directives = readFileSync(shippedConfigFile, 'utf8').replace(/#.*$/gm, '');
    expect(directives).toMatch(/^\s*proxy_set_header X-Forwarded-For \$remote_addr;$/m);
    expect(directives).not.toContain('proxy_add_x_forwarded_for');
  }, 60_000);

  it("binds an admin's role change on one instance to the user's next request on the other", async () => {
    const adminEmail = uniqueEmail('admin');
    const adminPassword = strongPassword();
    const created = await runCli(
      ['user', 'create', '--email', adminEmail, '--name', 'Admin', '--role', 'admin'],
      { DATABASE_URL: instanceEnv.DATABASE_URL ?? '' },
      `${adminPassword}\n`,
    );
    expect(created.code, created.output).toBe(0);
    const admin = new Browser(origin, directA);
    expect(
      (await admin.post('/api/login', { email: adminEmail, password: adminPassword })).status,
    ).toBe(200);

    const { browser: member, user } = await signUp('demoted');
    const before = await member.post('/api/notes', { title: 'before', body: '' }, directB);
    expect(before.status, before.body).toBe(201);

    const demoted = await admin.request('PATCH', `/api/admin/users/${user.id}`, {
      json: { role: 'guest' },
    });
    expect(demoted.status, demoted.body).toBe(200);
    // The very next request on the other instance, without waiting: a privilege change ended
    // the session there too.
    const after = await member.post('/api/notes', { title: 'after', body: '' }, directB);
    expect([after.status, errorCode(after)], after.body).toEqual([401, 'unauthenticated']);
    const profile = await member.get('/api/profile', directB);
    expect([profile.status, errorCode(profile)], profile.body).toEqual([401, 'unauthenticated']);
  }, 60_000);
});
