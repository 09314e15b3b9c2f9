import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressObject } from 'mailparser';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AdminMailListResponse } from '@portcullis/contract/mail';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ensureDevCertificate } from '../../src/lib/dev-certificate.js';
import { listOutbox, type OutboxFile } from '../../src/modules/mail/mail-outbox.js';
import { MailRepository } from '../../src/modules/mail/mail-repository.js';
import { MailService, retryDelayMs } from '../../src/modules/mail/mail-service.js';
import { renderMail, type MailMessage } from '../../src/modules/mail/mail-templates.js';
import { createSmtpTransport } from '../../src/modules/mail/mail-transport.js';
import {
  createUser,
  expectErrorEnvelope,
  startTestApp,
  uniqueEmail,
  type TestApp,
} from '../support/test-app.js';
import { SmtpTestServer, unusedPort, waitUntil } from '../support/smtp-test-server.js';

/**
 * Mail leaves through a real SMTP server started in this process (smtp-server) and is read back
 * with mailparser: links, headers and both parts are checked as a mail client would see them.
 * On the `server-postgres` project the same tests run with the queue in PostgreSQL.
 */

const FROM = 'Portcullis Test <no-reply@portcullis.test>';
const SMTP_USER = 'portcullis';
/** Characters that must be percent-encoded in the URL and decoded before AUTH. */
const SMTP_PASSWORD = 'p@ss:w/rd%smtp';
const resetLink = 'https://localhost:8443/reset-password?token=t0k3n-secret&purpose=reset';

let certDir: string;
let tls: { key: string; cert: string; certFile: string };

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), 'portcullis-smtp-cert-'));
  const certFile = path.join(certDir, 'cert.pem');
  const keyFile = path.join(certDir, 'key.pem');
  // Self-signed for localhost and 127.0.0.1: trusted only through SMTP_TLS_CA_FILE.
  await ensureDevCertificate(certFile, keyFile);
  tls = { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
});

afterAll(() => {
  rmSync(certDir, { recursive: true, force: true });
});

/** STARTTLS required, the private CA trusted, credentials in the URL: a production-like relay. */
function tlsSmtpEnv(port: number): Record<string, string> {
  return {
    SMTP_URL: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${port}`,
    SMTP_FROM: FROM,
    SMTP_REQUIRE_TLS: 'true',
    SMTP_TLS_CA_FILE: tls.certFile,
  };
}

/** A plain relay on this machine (allowed on a localhost origin). */
function plainSmtpEnv(port: number): Record<string, string> {
  return { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: FROM, SMTP_REQUIRE_TLS: 'false' };
}

/** Overrides that point a second app at the first one's database (a restart, another instance). */
function sameDatabase(testApp: TestApp): Record<string, string> {
  const database = testApp.config.database;
  if (database.kind === 'sqlite') return { DATA_DIR: testApp.config.dataDir };
  const url = new URL(database.url);
  if (database.schema !== undefined) url.searchParams.set('schema', database.schema);
  return { DATABASE_URL: url.href };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(field) ? field : field === undefined ? [] : [field]).flatMap((entry) =>
    entry.value.map((address) => address.address ?? ''),
  );
}

function resetMessage(link = resetLink): MailMessage {
  return { kind: 'password-reset', data: { link, expiresInMinutes: 30 } };
}

const apps: TestApp[] = [];
const smtpServers: SmtpTestServer[] = [];

async function app(
  overrides: Record<string, string> = {},
  buildOptions: Parameters<typeof startTestApp>[1] = {},
): Promise<TestApp> {
  const started = await startTestApp(overrides, buildOptions);
  apps.push(started);
  return started;
}

async function smtpServer(
  options: Parameters<typeof SmtpTestServer.start>[0] = {},
): Promise<SmtpTestServer> {
  const server = await SmtpTestServer.start(options);
  smtpServers.push(server);
  return server;
}

afterEach(async () => {
  // Newest first: an app sharing another's database closes before the one that owns it.
  for (const started of apps.splice(0).reverse()) await started.close();
  for (const server of smtpServers.splice(0)) await server.stop();
});

function readRow(testApp: TestApp, id: string) {
  return testApp
    .db()
    .selectFrom('mail_outbox')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

describe('mail over SMTP', () => {
  it('sends both parts over STARTTLS with the configured From, escaped values and the link', async () => {
    const smtp = await smtpServer({
      tls,
      credentials: { user: SMTP_USER, password: SMTP_PASSWORD },
    });
    const testApp = await app(tlsSmtpEnv(smtp.port));
    const to = uniqueEmail('alice');
    const before = Date.now();

    const { id, queued } = await testApp.app.mail.enqueue({
      to,
      dedupeKey: `password-changed:${to}`,
      message: {
        kind: 'password-changed',
        data: {
          when: new Date('2025-01-31T14:05:09Z'),
          ip: '203.0.113.7',
          device: '<script>alert(1)</script> "Firefox" & co',
          resetLink,
        },
      },
    });
    expect(queued).toBe(true);

    const mail = await smtp.waitFor((received) => received.envelope.to.includes(to));
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe(SMTP_USER);
    expect(mail.envelope).toEqual({ from: 'no-reply@portcullis.test', to: [to] });

    const parsed = mail.parsed;
    expect(parsed.from?.value).toEqual([
      { address: 'no-reply@portcullis.test', name: 'Portcullis Test' },
    ]);
    expect(addresses(parsed.to)).toEqual([to]);
    expect(parsed.subject).toBe('Your Portcullis password was changed');
    expect(parsed.messageId).toBe(`<${id}@portcullis.test>`);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    // The Date header has whole seconds; it says when the message was queued.
    expect(parsed.date?.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(parsed.date?.getTime()).toBeLessThanOrEqual(Date.now());
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });

    expect(parsed.text).toContain(resetLink);
    expect(parsed.text).toContain('When: 2025-01-31 14:05 UTC');
    expect(parsed.text).toContain('IP address: 203.0.113.7');
    expect(parsed.text).toContain('Device: <script>alert(1)</script> "Firefox" & co');

    const html = parsed.html === false ? '' : parsed.html;
    expect(html).toContain('Portcullis');
    expect(html).toContain(`href="${resetLink.replace('&', '&amp;')}"`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;Firefox&quot; &amp; co');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/<img|src=/i);

    // Once sent the bodies are gone from the database: they hold a one-time link.
    const row = await waitUntil(
      () => readRow(testApp, id),
      (current) => current.status === 'sent',
    );
    expect(row).toMatchObject({ attempts: 1, text_body: null, html_body: null, last_error: null });
    expect(row.sent_at).not.toBeNull();
  });

  it('refuses to send when the certificate is not trusted (no SMTP_TLS_CA_FILE): it retries, never sends in clear', async () => {
    const smtp = await smtpServer({ tls });
    const untrusted: Record<string, string> = {
      ...tlsSmtpEnv(smtp.port),
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    };
    delete untrusted.SMTP_TLS_CA_FILE;
    const testApp = await app(untrusted);

    const { id } = await testApp.app.mail.enqueue({
      to: uniqueEmail(),
      dedupeKey: 'untrusted-certificate',
      message: resetMessage(),
    });
    const row = await waitUntil(
      () => readRow(testApp, id),
      (current) => current.attempts >= 1 && current.status === 'pending',
    );
    expect(row.last_error).toMatch(/certificate/i);
    expect(smtp.received).toHaveLength(0);
  });

  it('queues and sends a message once per dedupe key, however often it is enqueued', async () => {
    const smtp = await smtpServer();
    const testApp = await app(plainSmtpEnv(smtp.port));
    const to = uniqueEmail('once');
    const request = { to, dedupeKey: 'password-reset:token-1', message: resetMessage() };

    const results = await Promise.all([
      testApp.app.mail.enqueue(request),
      testApp.app.mail.enqueue(request),
      testApp.app.mail.enqueue(request),
    ]);
    expect(results.filter((result) => result.queued)).toHaveLength(1);
    expect(new Set(results.map((result) => result.id)).size).toBe(1);
    // Later, with the first already sent: still nothing new.
    await smtp.waitFor((received) => received.envelope.to.includes(to));
    expect((await testApp.app.mail.enqueue(request)).queued).toBe(false);

    // A later message to the same address goes out behind it; by then a duplicate would have too.
    const marker = await testApp.app.mail.enqueue({
      to,
      dedupeKey: 'verify-email:marker',
      message: { kind: 'verify-email', data: { link: 'https://localhost:8443/verify#marker' } },
    });
    await smtp.waitFor(
      (received) => received.parsed.messageId === `<${marker.id}@portcullis.test>`,
    );
    expect(smtp.received.filter((received) => received.envelope.to.includes(to))).toHaveLength(2);

    const stored = await testApp
      .db()
      .selectFrom('mail_outbox')
      .select('dedupe_key')
      .where('recipient', '=', to)
      .execute();
    // The key is stored as a digest only: a key that names a token does not put it in the table.
    expect(stored.map((row) => row.dedupe_key).join()).not.toContain('token-1');
  });

  it('mail server down: enqueue succeeds, the message waits in the queue and goes out when the server returns', async () => {
    const port = await unusedPort();
    const testApp = await app(plainSmtpEnv(port));
    const to = uniqueEmail('patient');

    const { id, queued } = await testApp.app.mail.enqueue({
      to,
      dedupeKey: 'outage',
      message: resetMessage(),
    });
    expect(queued).toBe(true);
    const waiting = await waitUntil(
      () => readRow(testApp, id),
      (row) => row.attempts === 1 && row.status === 'pending',
    );
    expect(waiting.last_error).toMatch(/ECONNECTION|ECONNREFUSED/);
    expect(waiting.text_body).toContain(resetLink);

    const smtp = await smtpServer({ port });
    // The first retry is due 5 s after the failed attempt.
    const mail = await smtp.waitFor((received) => received.envelope.to.includes(to), 15_000);
    expect(mail.parsed.text).toContain(resetLink);
    const row = await waitUntil(
      () => readRow(testApp, id),
      (current) => current.status === 'sent',
    );
    expect(row.attempts).toBe(2);
    expect(smtp.received).toHaveLength(1);
  }, 30_000);

  it('the queue survives a restart: what one run could not send, the next run sends', async () => {
    const port = await unusedPort();
    const first = await app(plainSmtpEnv(port));
    const waitingTo = uniqueEmail('waiting');
    const { id } = await first.app.mail.enqueue({
      to: waitingTo,
      dedupeKey: 'restart',
      message: resetMessage(),
    });
    await waitUntil(
      () => readRow(first, id),
      (row) => row.attempts === 1 && row.status === 'pending',
    );
    // A row another instance claimed before it died mid-send (its claim has lapsed).
    const orphanTo = uniqueEmail('orphan');
    const orphan = await first.app.mail.enqueue({
      to: orphanTo,
      dedupeKey: 'orphan',
      message: resetMessage(),
    });
    await first
      .db()
      .updateTable('mail_outbox')
      .set({ status: 'sending', next_attempt_at: Date.now() - 1, attempts: 1 })
      .where('id', '=', orphan.id)
      .execute();
    await first.app.close();

    const smtp = await smtpServer({ port });
    const second = await app({ ...plainSmtpEnv(port), ...sameDatabase(first) });
    await smtp.waitFor((received) => received.envelope.to.includes(orphanTo), 15_000);
    await smtp.waitFor((received) => received.envelope.to.includes(waitingTo), 15_000);
    await waitUntil(
      () => readRow(second, id),
      (row) => row.status === 'sent',
    );
    expect(smtp.received).toHaveLength(2);
  }, 30_000);

  it('two instances draining one queue send each message once', async () => {
    const smtp = await smtpServer();
    const testApp = await app(plainSmtpEnv(smtp.port));
    // Queued while no worker of ours runs, so both workers below start on a full queue at once.
    await testApp.app.mail.stop();
    const count = 12;
    for (let index = 0; index < count; index += 1) {
      await testApp.app.mail.enqueue({
        to: `instance-${String(index)}@example.test`,
        dedupeKey: `instances:${String(index)}`,
        message: resetMessage(),
      });
    }
    const log = pino({ level: 'silent' });
    const { from, transport } = testApp.config.mail;
    if (transport.kind !== 'smtp') throw new Error('expected SMTP');
    const workers = [0, 1].map(
      () =>
        new MailService({
          repository: new MailRepository(testApp.db()),
          transport: createSmtpTransport(from, transport),
          log,
        }),
    );
    for (const worker of workers) worker.start();
    try {
      await waitUntil(
        () =>
          testApp
            .db()
            .selectFrom('mail_outbox')
            .select('status')
            .where('status', '!=', 'sent')
            .execute(),
        (unsent) => unsent.length === 0,
      );
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
    const messageIds = smtp.received.map((received) => received.parsed.messageId);
    expect(messageIds).toHaveLength(count);
    expect(new Set(messageIds).size).toBe(count);
  });

  it('a recipient the server refuses (550) ends failed at once and is listed for admins, without bodies', async () => {
    const smtp = await smtpServer({ refuseRecipient: (address) => address.startsWith('nobody') });
    const testApp = await app(plainSmtpEnv(smtp.port));
    const to = uniqueEmail('nobody');
    const { id } = await testApp.app.mail.enqueue({
      to,
      dedupeKey: 'refused',
      message: resetMessage(),
    });
    const row = await waitUntil(
      () => readRow(testApp, id),
      (current) => current.status === 'failed',
    );
    expect(row).toMatchObject({ attempts: 1, text_body: null, html_body: null });
    expect(row.last_error).toContain('550');

    const admin = await createUser(testApp, { role: 'admin' });
    const res = await admin.client.get<AdminMailListResponse>('/api/admin/mail?status=failed');
    expect(res.status).toBe(200);
    const listed = res.body.messages.find((message) => message.id === id);
    expect(listed).toMatchObject({
      recipient: to,
      kind: 'password-reset',
      status: 'failed',
      attempts: 1,
      nextAttemptAt: null,
      sentAt: null,
    });
    expect(listed?.lastError).toContain('550');
    expect(res.text).not.toContain('t0k3n-secret');
    expect(Object.keys(listed ?? {})).not.toEqual(expect.arrayContaining(['text', 'html']));

    const pending = await admin.client.get<AdminMailListResponse>('/api/admin/mail?status=pending');
    expect(pending.body.messages.map((message) => message.id)).not.toContain(id);

    const user = await createUser(testApp);
    expectErrorEnvelope(await user.client.get('/api/admin/mail'), 403, 'forbidden');
    const anonymous = await fetch(`${testApp.url}/api/admin/mail`);
    expect(anonymous.status).toBe(401);
    expectErrorEnvelope(
      await admin.client.get('/api/admin/mail?status=sent'),
      400,
      'validation_failed',
    );
  });

  it('a message that keeps failing is retried with growing delays, then given up', () => {
    const delays = Array.from({ length: 11 }, (_, index) => retryDelayMs(index + 1));
    expect(delays.slice(0, 4)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(delays[8]).toBe(1_280_000);
    // Ten attempts in all: after the tenth failure there is no next one.
    expect(delays[9]).toBeNull();
    expect(retryDelayMs(20, { baseDelayMs: 5_000, maxDelayMs: 3_600_000, maxAttempts: 30 })).toBe(
      3_600_000,
    );
  });
});

describe('mail outbox (no SMTP_URL on localhost)', () => {
  it('writes each message to an owner-only file and prints one line with its link', async () => {
    const lines: string[] = [];
    const spy = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    try {
      // The outbox's line goes where the server prints it by default: stderr.
      const testApp = await app({}, { mailNotice: undefined });
      expect(testApp.config.mail.transport.kind).toBe('outbox');
      const to = uniqueEmail('dev');
      const link = 'https://localhost:8443/verify-email#token=dev-token';
      const { id } = await testApp.app.mail.enqueue({
        to,
        dedupeKey: 'outbox',
        message: { kind: 'verify-email', data: { link } },
      });
      await waitUntil(
        () => readRow(testApp, id),
        (row) => row.status === 'sent',
      );

      expect(lines.filter((line) => line.startsWith('portcullis: mail to'))).toEqual([
        `portcullis: mail to ${to}: ${link}\n`,
      ]);
      const listed = await listOutbox(testApp.config.dataDir);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({
        id,
        to,
        subject: 'Confirm your email address for Portcullis',
        links: [link],
      });
      const file = listed[0]?.file ?? '';
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      const content = JSON.parse(await readFile(file, 'utf8')) as OutboxFile;
      expect(content.from).toBe('"Portcullis" <no-reply@localhost>');
      expect(content.text).toContain(link);
      expect(content.html).toContain(`href="${link}"`);
    } finally {
      spy.mockRestore();
    }
  });

  it('a recipient with a line break or a second address is refused; a bidi override is printed escaped', async () => {
    const lines: string[] = [];
    const spy = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    try {
      const testApp = await app({}, { mailNotice: undefined });
      // Such an address is refused at enqueue: a line break would add a header or a recipient.
      await expect(
        testApp.app.mail.enqueue({
          to: 'a@b.test\r\nBcc: evil@attacker.test',
          dedupeKey: 'injection',
          message: resetMessage(),
        }),
      ).rejects.toThrow(/single plain address/);
      await expect(
        testApp.app.mail.enqueue({
          to: 'a@b.test, evil@attacker.test',
          dedupeKey: 'injection-2',
          message: resetMessage(),
        }),
      ).rejects.toThrow(/single plain address/);
      // U+202E would reverse the rest of the operator's terminal line (Trojan Source).
      const { id } = await testApp.app.mail.enqueue({
        to: 'gpj.exe\u202e@example.test',
        dedupeKey: 'bidi',
        message: resetMessage(),
      });
      await waitUntil(
        () => readRow(testApp, id),
        (row) => row.status === 'sent',
      );
      expect(lines.filter((line) => line.startsWith('portcullis: mail to'))).toEqual([
        `portcullis: mail to gpj.exe\\u{202e}@example.test: ${resetLink}\n`,
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('listOutbox of a data directory without an outbox is empty', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'portcullis-no-outbox-'));
    try {
      expect(await listOutbox(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('mail templates', () => {
  const when = new Date('2025-01-31T14:05:00Z');
  const samples: MailMessage[] = [
    { kind: 'verify-email', data: { link: 'https://app.example/verify#a' } },
    {
      kind: 'already-registered',
      data: { signInLink: 'https://app.example/sign-in', resetLink: 'https://app.example/forgot' },
    },
    { kind: 'password-reset', data: { link: 'https://app.example/reset#b', expiresInMinutes: 30 } },
    {
      kind: 'password-changed',
      data: {
        when,
        ip: '198.51.100.1',
        device: 'Firefox on Linux',
        resetLink: 'https://app.example/forgot',
      },
    },
    { kind: 'email-change-confirm', data: { link: 'https://app.example/confirm#c' } },
    {
      kind: 'email-change-notice',
      data: {
        newEmailMasked: 'n***@e***.test',
        undoLink: 'https://app.example/undo#d',
        undoHours: 72,
      },
    },
    {
      kind: 'new-device-sign-in',
      data: {
        when,
        ip: '198.51.100.2',
        device: 'Safari on iOS',
        notMeLink: 'https://app.example/not-me#e',
      },
    },
    { kind: 'account-locked', data: { until: when, resetLink: 'https://app.example/forgot' } },
  ];

  it.each(samples)(
    '$kind has a subject, a text and an HTML part naming the product, with its links',
    (message) => {
      const rendered = renderMail(message);
      expect(rendered.subject).toContain('Portcullis');
      expect(rendered.text).toContain('Portcullis');
      expect(rendered.html).toContain('Portcullis');
      const links = Object.values(message.data).filter(
        (value): value is string => typeof value === 'string' && value.startsWith('https://'),
      );
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        expect(rendered.text).toContain(link);
        expect(rendered.html).toContain(`href="${link}"`);
      }
    },
  );

  it('refuses a link that is relative, javascript: or plain http off localhost', () => {
    for (const link of ['/reset#x', 'javascript:alert(1)', 'http://app.example/reset']) {
      expect(() => renderMail({ kind: 'verify-email', data: { link } })).toThrow(/mail link/);
    }
    expect(
      renderMail({ kind: 'verify-email', data: { link: 'http://localhost:5173/v' } }).text,
    ).toContain('http://localhost:5173/v');
  });

  it('an address change notice escapes and flattens the masked address', () => {
    const rendered = renderMail({
      kind: 'email-change-notice',
      data: {
        newEmailMasked: '<b>x</b>\nBcc: y',
        undoLink: 'https://app.example/undo',
        undoHours: 72,
      },
    });
    expect(rendered.html).toContain('&lt;b&gt;x&lt;/b&gt; Bcc: y');
    expect(rendered.text).toContain('<b>x</b> Bcc: y');
  });
});

describe('mail configuration', () => {
  const SECRET_A = 'a'.repeat(32);
  const productionEnv: Record<string, string> = {
    NODE_ENV: 'production',
    PUBLIC_ORIGIN: 'https://example.com',
    JWT_SECRETS: SECRET_A,
    CSRF_SECRET: 'b'.repeat(40),
    ENCRYPTION_KEYS: 'e'.repeat(40),
    AUDIT_CHECKPOINT_KEY: 'a'.repeat(40),
    TLS_CERT_FILE: '/etc/ssl/cert.pem',
    TLS_KEY_FILE: '/etc/ssl/key.pem',
    DATA_DIR: '/tmp/portcullis-config-test',
    SMTP_URL: 'smtps://mailer:hunter2-secret@smtp.example.com',
    SMTP_FROM: 'Example <no-reply@example.com>',
  };

  function refusal(env: Record<string, string | undefined>): ConfigError {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('loadConfig accepted the configuration');
  }

  it('control: a production configuration with SMTP loads, TLS required', () => {
    expect(loadConfig(productionEnv).mail).toEqual({
      from: { name: 'Example', address: 'no-reply@example.com' },
      transport: {
        kind: 'smtp',
        url: productionEnv.SMTP_URL,
        requireTls: true,
        tlsCaFile: undefined,
      },
    });
  });

  it('control: on localhost without SMTP_URL mail goes to the outbox under the data directory', () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/x' });
    expect(config.mail).toEqual({
      from: { name: 'Portcullis', address: 'no-reply@localhost' },
      transport: { kind: 'outbox', dir: path.resolve('/tmp/x/outbox') },
    });
  });

  it('a non-localhost PUBLIC_ORIGIN without SMTP_URL → SMTP_URL', () => {
    const error = refusal({ ...productionEnv, SMTP_URL: undefined });
    expect(error.variable).toBe('SMTP_URL');
    expect(error.message).toBe('SMTP_URL: must be set when PUBLIC_ORIGIN is not localhost');
  });

  it('SMTP_URL with another scheme, a path or a query → SMTP_URL, without echoing the password', () => {
    for (const url of [
      'http://mailer:hunter2-secret@smtp.example.com',
      'smtp://mailer:hunter2-secret@smtp.example.com/path',
      'smtp://mailer:hunter2-secret@smtp.example.com?pool=false',
      'not a url hunter2-secret',
    ]) {
      const error = refusal({ ...productionEnv, SMTP_URL: url });
      expect(error.variable).toBe('SMTP_URL');
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('SMTP_URL off localhost without SMTP_FROM → SMTP_FROM', () => {
    expect(refusal({ ...productionEnv, SMTP_FROM: undefined }).variable).toBe('SMTP_FROM');
  });

  it('SMTP_FROM with a line break, two addresses or no address → SMTP_FROM', () => {
    for (const from of [
      'Example <a@example.com>\r\nBcc: victim@example.org',
      'a@example.com, b@example.com',
      'Example',
    ]) {
      expect(refusal({ ...productionEnv, SMTP_FROM: from }).variable).toBe('SMTP_FROM');
    }
  });

  it('SMTP_REQUIRE_TLS=false to a remote relay → SMTP_REQUIRE_TLS; to a relay on this machine it loads', () => {
    const plain = { ...productionEnv, SMTP_URL: 'smtp://smtp.example.com:587' };
    expect(refusal({ ...plain, SMTP_REQUIRE_TLS: 'false' }).variable).toBe('SMTP_REQUIRE_TLS');
    const local = loadConfig({
      ...plain,
      SMTP_URL: 'smtp://127.0.0.1:25',
      SMTP_REQUIRE_TLS: 'false',
    });
    expect(local.mail.transport).toMatchObject({ kind: 'smtp', requireTls: false });
    expect(refusal({ ...plain, SMTP_REQUIRE_TLS: 'yes' }).variable).toBe('SMTP_REQUIRE_TLS');
  });
});
