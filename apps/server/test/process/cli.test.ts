import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '@portcullis/contract/admin';
import type { User } from '@portcullis/contract/auth';
import { newId } from '../../src/lib/random.js';
import {
  baseTestEnv,
  createUser,
  expectErrorEnvelope,
  startTestApp,
  strongPassword,
  TestClient,
  uniqueEmail,
  waitForAudit,
  type TestApp,
  type TestUser,
} from '../support/test-app.js';

/**
 * The operator's CLI as an operator runs it (apps/server/dist/cli.js, which `npm test` builds
 * first), against the data directory of an instance that is running: built with buildApp on a
 * SQLite file, without Redis. Issue 8: the password was echoed and only Ctrl-D ended it, a role
 * change kept working for a minute on the running instance, the CLI re-implemented registration
 * without its audit event, and `user list` printed stored control characters raw.
 */

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cliJs = path.join(serverDir, 'dist/cli.js');

/** The binding deadline the issue sets for a change made by the CLI. */
const BINDS_WITHIN_MS = 1_000;

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** When the process ended: the operator's "done". */
  endedAt: number;
}

function cliEnv(dataDir: string): NodeJS.ProcessEnv {
  return { ...baseTestEnv, PATH: process.env.PATH, DATA_DIR: dataDir };
}

/** Runs the CLI without blocking this process, which also runs the instance under test. */
function runCli(dataDir: string, args: string[], input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // cwd is the data directory, so no developer's .env is picked up.
    const child = spawn(process.execPath, [cliJs, ...args], {
      cwd: dataDir,
      env: cliEnv(dataDir),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stdout, stderr, endedAt: Date.now() });
    });
    child.stdin.end(input);
  });
}

/** Polls `check` until it holds; returns how long after `since` it first did. */
async function msUntil(since: number, check: () => Promise<boolean>, limitMs = 5_000) {
  for (;;) {
    if (await check()) return Date.now() - since;
    if (Date.now() - since > limitMs) throw new Error('the change never bound');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const commandNames = [
  'user create',
  'user set-role',
  'user unlock',
  'user sign-out',
  'user list',
  'mail list',
  'db migrate',
];

// Each case spawns the CLI (about a second on a busy machine), some several times.
describe('cli --help and usage errors', { timeout: 30_000 }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-cli-help-'));
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [cliJs, ...args], {
      cwd: dataDir,
      env: cliEnv(dataDir),
      encoding: 'utf8',
      timeout: 20_000,
    });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([['--help'], ['-h'], ['help'], ['user', '--help']])(
    '%s prints the usage of every command on stdout and exits 0',
    (...args) => {
      const result = cli(args);
      expect(result.status).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^Usage: npm run cli -- <command>/);
      for (const name of commandNames) expect(result.stdout).toContain(`  ${name}  `);
    },
  );

  it.each([
    ['user create', ['--email', '--name', '--role', 'stdin', 'Enter']],
    ['user set-role', ['--email', '--role']],
    ['user unlock', ['--email']],
    ['user sign-out', ['--email']],
    ['user list', ['escaped']],
    ['mail list', ['outbox', 'SMTP_URL']],
    ['db migrate', ['migrations']],
  ])('%s --help prints its usage and exits 0', (name, mentions) => {
    for (const args of [
      [...name.split(' '), '--help'],
      ['help', ...name.split(' ')],
    ]) {
      const result = cli(args);
      expect(result.status).toBe(0);
      expect(result.stdout.split('\n')[0]).toMatch(
        new RegExp(`^Usage: npm run cli -- ${name}( |$)`),
      );
      for (const mention of mentions) expect(result.stdout).toContain(mention);
    }
  });

  it('an unknown command prints the usage on stderr and exits 2', () => {
    for (const args of [['user', 'frobnicate'], ['users'], []]) {
      const result = cli(args);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Usage: npm run cli -- <command>');
    }
    expect(cli(['user', 'frobnicate']).stderr).toMatch(/^unknown command: user frobnicate\n/);
  });

  it('an unknown option, a missing one or a bad role exits 2 with the command’s usage', () => {
    for (const args of [
      ['user', 'list', '--all'],
      ['user', 'unlock'],
      ['user', 'set-role', '--email', 'a@example.com', '--role', 'root'],
      ['user', 'create', '--email', 'a@example.com'],
    ]) {
      const result = cli(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`Usage: npm run cli -- ${args.slice(0, 2).join(' ')}`);
    }
  });

  it('answers all of these without touching the database', () => {
    expect(existsSync(path.join(dataDir, 'portcullis.sqlite'))).toBe(false);
  });
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs a command in a pseudo terminal (util-linux `script`), typing each answer after its prompt. */
function runInTerminal(
  dataDir: string,
  command: string[],
  answers: { after: string; type: string }[],
): Promise<{ status: number | null; output: string }> {
  const quoted = command.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', quoted, '/dev/null'], {
      cwd: dataDir,
      env: cliEnv(dataDir),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let next = 0;
    let searchFrom = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const answer = answers[next];
      if (answer === undefined) return;
      const at = output.indexOf(answer.after, searchFrom);
      if (at === -1) return;
      searchFrom = at + answer.after.length;
      next += 1;
      child.stdin.write(answer.type);
    });
    child.on('error', reject);
    // stdin stays open until the command ends: only Enter, never end-of-input, can finish a line.
    child.on('close', (status) => {
      resolve({ status, output });
    });
    const guard = setTimeout(() => child.kill(), 20_000);
    child.on('close', () => {
      clearTimeout(guard);
      child.stdin.destroy();
    });
  });
}

describe.skipIf(!hasScript)('the password at a terminal', { timeout: 30_000 }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-cli-tty-'));

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('control: this pseudo terminal echoes what is typed unless the program turns echo off', async () => {
    const { output } = await runInTerminal(
      dataDir,
      ['sh', '-c', 'printf "type: "; read line; echo done'],
      [{ after: 'type: ', type: 'visible-typed-text\r' }],
    );
    expect(output).toContain('visible-typed-text');
  });

  it('is not echoed, Enter ends it (no Ctrl-D), and it is asked twice', async () => {
    const password = `typed-at-a-tty-${strongPassword()}`;
    const { status, output } = await runInTerminal(
      dataDir,
      [process.execPath, cliJs, 'user', 'create', '--email', 'tty@example.com', '--name', 'Tty'],
      [
        { after: 'Password', type: `${password}\r` },
        { after: 'Repeat', type: `${password}\r` },
      ],
    );
    expect(output).toContain('Enter ends it');
    expect(output).toContain('created user tty@example.com');
    expect(output).not.toContain(password);
    expect(status).toBe(0);
  });

  it('refuses two different entries', async () => {
    const { status, output } = await runInTerminal(
      dataDir,
      [process.execPath, cliJs, 'user', 'create', '--email', 'typo@example.com', '--name', 'T'],
      [
        { after: 'Password', type: 'a-long-passphrase-one-1\r' },
        { after: 'Repeat', type: 'a-long-passphrase-two-2\r' },
      ],
    );
    expect(output).toContain('the passwords differ');
    expect(output).not.toContain('passphrase');
    expect(status).toBe(1);
  });
});

describe(
  'changes made by the CLI bind a running instance (SQLite, no Redis)',
  { timeout: 30_000 },
  () => {
    let testApp: TestApp;
    let observer: TestUser;
    let addressCounter = 0;

    const cli = (args: string[], input = '') => runCli(testApp.dataDir, args, input);

    /** With TRUST_PROXY, the proxy's X-Forwarded-For gives each attempt its own client address. */
    function freshAddress(): Record<string, string> {
      addressCounter += 1;
      return {
        'x-forwarded-for': `203.0.${Math.floor(addressCounter / 250)}.${addressCounter % 250}`,
      };
    }

    async function signInFromAnywhere(email: string, password: string) {
      const client = new TestClient(testApp);
      await client.csrf();
      const res = await client.post<{ user: User }>(
        '/api/login',
        { email, password },
        { headers: freshAddress() },
      );
      if (res.status === 200) await client.csrf();
      return { client, res };
    }

    function cliEvent(type: AuditEvent['type'], targetId: string): Promise<AuditEvent> {
      return waitForAudit(observer.client, (e) => e.type === type && e.targetId === targetId);
    }

    beforeAll(async () => {
      testApp = await startTestApp({ TRUST_PROXY: '127.0.0.1' });
      expect(testApp.config.database.kind).toBe('sqlite');
      expect(testApp.config.redisUrl).toBeUndefined();
      observer = await createUser(testApp, { role: 'admin', label: 'observer' });
    });

    afterAll(async () => {
      await testApp.close();
    });

    it('audit verify checks the chain the running instance wrote; audit export streams it as OCSF', async () => {
      // Events from the instance under test: a sign-in and a failed one.
      const member = await createUser(testApp, { label: 'chain' });
      await signInFromAnywhere(member.email, strongPassword());
      const verified = await cli(['audit', 'verify']);
      expect(verified.stderr).toBe('');
      expect(verified.status).toBe(0);
      expect(verified.stdout).toMatch(/^audit chain: \d+ event\(s\) verified/m);
      expect(verified.stdout.trimEnd().split('\n').at(-1)).toBe('OK');

      const exported = await cli([
        'audit',
        'export',
        '--since',
        '2000-01-01T00:00:00Z',
        '--format',
        'jsonl',
      ]);
      expect(exported.status).toBe(0);
      const records = exported.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { class_uid: number; metadata: { uid: string } });
      // Authentication (3002) for the sign-ins, in chain order.
      expect(records.some((record) => record.class_uid === 3002)).toBe(true);

      // The admin's download of the same view.
      const download = await observer.client.get('/api/admin/audit/export?format=ocsf');
      expect(download.status).toBe(200);
      const lines = download.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { class_uid: number });
      expect(lines.some((record) => record.class_uid === 3002)).toBe(true);

      // A row altered behind the application's back: verify names it and fails.
      await testApp
        .db()
        .updateTable('audit_events')
        .set({ detail: 'rewritten' })
        .where('actor_id', '=', member.user.id)
        .execute();
      const broken = await cli(['audit', 'verify']);
      expect(broken.status).toBe(1);
      expect(broken.stdout).toMatch(/^BROKEN at sequence \d+: /m);
    });

    it('mail list shows what the instance wrote to its outbox, with the links to follow', async () => {
      // A localhost origin without SMTP_URL: mail goes to the outbox under the data directory.
      const email = uniqueEmail('outbox');
      const registered = await new TestClient(testApp).register(email, strongPassword(), 'Out');
      expect(registered.status).toBe(202);
      // The worker sends within a second of the registration; poll the CLI until it shows.
      let listed = await cli(['mail', 'list']);
      for (let i = 0; i < 20 && !listed.stdout.includes(email); i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        listed = await cli(['mail', 'list']);
      }
      expect(listed.status).toBe(0);
      const lines = listed.stdout.split('\n');
      const header = lines.findIndex((line) => line.includes(`\t${email}\t`));
      expect(lines[header]).toMatch(/\tConfirm your email address for Portcullis$/);
      expect(lines[header + 1]).toMatch(
        /^\thttps:\/\/localhost(:\d+)?\/verify-email#token=[\w-]{43}$/,
      );
    });

    it('user create registers through the service (piped password, audited) with the role, verified', async () => {
      const email = uniqueEmail('operator');
      const password = strongPassword();
      const created = await cli(
        ['user', 'create', '--email', email.toUpperCase(), '--name', 'Operator', '--role', 'admin'],
        `${password}\n`,
      );
      expect(created.stderr).toBe('');
      expect(created.status).toBe(0);
      expect(created.stdout).toMatch(new RegExp(`^created admin ${email} \\(`));

      // The trailing newline of the pipe is not part of the password.
      const { res } = await signInFromAnywhere(email, password);
      expect(res.status).toBe(200);
      expect(res.body.user.role).toBe('admin');
      // The operator vouches for the address: no verification mail, no check-your-inbox page.
      expect(res.body.user.emailVerified).toBe(true);

      const registered = await waitForAudit(
        observer.client,
        (e) => e.type === 'register' && e.actorEmail === email,
      );
      expect(registered).toMatchObject({
        ip: 'cli',
        userAgent: 'portcullis-cli',
        detail: 'created by the operator as admin',
      });
    });

    it('user create applies the registration rules: a breached password exits 1', async () => {
      const result = await cli(
        ['user', 'create', '--email', uniqueEmail('weak'), '--name', 'Weak'],
        'password1234\n',
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^password: /);
    });

    it('control: a role changed behind the instance’s back still works after a second', async () => {
      // The instance caches session state; without being told, it keeps the old role (up to 60 s).
      const stale = await createUser(testApp, { role: 'admin', label: 'stale' });
      expect((await stale.client.get('/api/admin/users')).status).toBe(200);
      await testApp
        .db()
        .updateTable('users')
        .set({ role: 'user' })
        .where('id', '=', stale.user.id)
        .execute();
      await new Promise((resolve) => setTimeout(resolve, BINDS_WITHIN_MS + 200));
      expect((await stale.client.get('/api/admin/users')).status).toBe(200);
    });

    it("user set-role: the user's sessions end within a second, audited as role_changed", async () => {
      const target = await createUser(testApp, { role: 'admin', label: 'demoted' });
      expect((await target.client.get('/api/admin/users')).status).toBe(200);

      const result = await cli(['user', 'set-role', '--email', target.email, '--role', 'user']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`${target.email} is now user`);

      const elapsed = await msUntil(
        result.endedAt,
        async () => (await target.client.get('/api/admin/users')).status === 401,
      );
      expect(elapsed).toBeLessThan(BINDS_WITHIN_MS);
      // A privilege change ends the session, as the admin API's does; signing in again gives the
      // new role.
      expectErrorEnvelope(await target.client.get('/api/profile'), 401, 'unauthenticated');
      expect((await target.client.login(target.email, target.password)).status).toBe(200);
      expectErrorEnvelope(await target.client.get('/api/admin/users'), 403, 'forbidden');

      expect(await cliEvent('role_changed', target.user.id)).toMatchObject({
        outcome: 'success',
        actorId: null,
        actorEmail: null,
        ip: 'cli',
        userAgent: 'portcullis-cli',
        detail: 'admin -> user; 1 session(s) ended',
      });
    });

    it('user set-role refuses to demote the last admin (exit 1), audited', async () => {
      const lone = await startTestApp();
      try {
        const only = await createUser(lone, { role: 'admin', label: 'only' });
        const result = await runCli(lone.dataDir, [
          'user',
          'set-role',
          '--email',
          only.email,
          '--role',
          'guest',
        ]);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain('last active administrator');
        const refused = await waitForAudit(only.client, (e) => e.type === 'role_changed');
        expect(refused).toMatchObject({ outcome: 'failure', ip: 'cli' });
        expect((await only.client.get('/api/admin/users')).status).toBe(200);
      } finally {
        await lone.close();
      }
    });

    it('user sign-out: the sessions stop working within a second, audited as session_revoked', async () => {
      const target = await createUser(testApp, { label: 'signed-out' });
      expect((await target.client.get('/api/profile')).status).toBe(200);

      const result = await cli(['user', 'sign-out', '--email', target.email]);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('1 session(s) signed out');

      const elapsed = await msUntil(
        result.endedAt,
        async () => (await target.client.get('/api/profile')).status === 401,
      );
      expect(elapsed).toBeLessThan(BINDS_WITHIN_MS);
      expect(await cliEvent('session_revoked', target.user.id)).toMatchObject({
        actorId: null,
        ip: 'cli',
        detail: '1 session(s) revoked',
      });
    });

    it('user unlock clears the account-wide lock: the owner signs in again at once', async () => {
      const target = await createUser(testApp, { label: 'unlocked' });
      let refused = false;
      for (let attempt = 0; attempt < 100 && !refused; attempt += 1) {
        const { res } = await signInFromAnywhere(target.email, strongPassword());
        refused = res.status === 429;
      }
      expect(refused).toBe(true);
      expect((await signInFromAnywhere(target.email, target.password)).res.status).toBe(429);

      const listed = await cli(['user', 'list']);
      const row = listed.stdout.split('\n').find((line) => line.startsWith(`${target.user.id}\t`));
      expect(row?.split('\t')[4]).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);

      const result = await cli(['user', 'unlock', '--email', target.email]);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`${target.email} unlocked`);
      expect((await signInFromAnywhere(target.email, target.password)).res.status).toBe(200);

      const event = await cliEvent('user_unlocked', target.user.id);
      expect(event).toMatchObject({ actorId: null, ip: 'cli' });
      expect(event.detail).toMatch(/^was locked until /);
    });

    it('a command for an unknown email exits 1 with one line', async () => {
      const result = await cli(['user', 'unlock', '--email', 'nobody@example.com']);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe('no user with email nobody@example.com\n');
    });

    it('user list escapes control characters and bidi overrides in stored names and emails', async () => {
      // Rows as an older version (or a direct database edit) may have stored them.
      const id = newId();
      const now = Date.now();
      await testApp
        .db()
        .insertInto('users')
        .values({
          id,
          email: 'forger\u001b[8m@example.com',
          name: 'Mallory\n00000000-0000-0000-0000-000000000000\tadmin\troot@example.com\tRoot\u001b[2J\u009b0m\u202egnp.exe\u2066',
          role: 'user',
          email_verified_at: now,
          created_at: now,
          updated_at: now,
          disabled_at: null,
          must_reset_password: 0,
          last_sign_in_at: null,
        })
        .execute();

      const listed = await cli(['user', 'list']);
      expect(listed.status).toBe(0);
      // Nothing but the column and row separators is a control character or a bidi control.
      const unsafe = [...listed.stdout.replace(/[\t\n]/g, '')].filter((char) => {
        const code = char.codePointAt(0) ?? 0;
        return (
          code < 0x20 ||
          (code >= 0x7f && code <= 0x9f) ||
          (code >= 0x202a && code <= 0x202e) ||
          (code >= 0x2066 && code <= 0x2069)
        );
      });
      expect(unsafe).toEqual([]);
      for (const line of listed.stdout.trimEnd().split('\n'))
        expect(line.split('\t')).toHaveLength(5);
      const row = listed.stdout.split('\n').find((line) => line.startsWith(`${id}\t`));
      expect(row).toBe(
        `${id}\tuser\tforger\\u{1b}[8m@example.com\t` +
          'Mallory\\u{a}00000000-0000-0000-0000-000000000000\\u{9}admin\\u{9}root@example.com' +
          '\\u{9}Root\\u{1b}[2J\\u{9b}0m\\u{202e}gnp.exe\\u{2066}\t-',
      );
    });
  },
);
