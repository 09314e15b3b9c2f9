#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { registerBodySchema } from '@portcullis/contract/auth';
import { roleSchema, type Role } from '@portcullis/contract/roles';
import { ConfigError, loadConfigFromProcess, type AppConfig } from './config.js';
import { AppError } from './lib/app-error.js';
import { escapeForTerminal } from './lib/terminal-text.js';
import { operatorActor } from './modules/admin/admin-service.js';
import { selftestHelp } from './selftest/selftest-help.js';
import type { OperatorServices as Services } from './modules/admin/operator-services.js';

/**
 * The operator's CLI. It changes accounts through the same services as the API (so the same rules
 * and the same audit events apply), and tells running instances through the database's
 * invalidation log, which every instance reads several times a second (ADR 009).
 */

const invocation = 'npm run cli --';

/**
 * Where a CLI change came from, in the audit trail. The operator is no account (the actor is
 * null, see `operatorActor`) and has no client address: `cli` in the address column, which no
 * real address can spell, marks the event as the CLI's.
 */
const operatorContext = { ip: 'cli', userAgent: 'portcullis-cli' };

/** Exit status 2, with the command's usage: the command line itself is wrong. */
class UsageError extends Error {}
/** Exit status 1: the command was understood and refused, or failed. */
class CommandFailed extends Error {}

interface OperatorServices extends Omit<Services, 'close'> {
  config: AppConfig;
}

type Values = Record<string, string | undefined>;

interface Command {
  name: string;
  synopsis: string;
  summary: string;
  help: string;
  /** Its options, all taking a value. */
  options: readonly string[];
  /** One positional argument after the command's words (`db backup FILE`), passed as `values.file`. */
  takesFile?: boolean;
  /** Options without a value (`--json`), passed as "true" when given. */
  flags?: readonly string[];
  /** `open` connects to the database on first call; a usage error is found before that. */
  run(values: Values, open: () => Promise<OperatorServices>): Promise<void>;
}

/** One line to stdout; whatever came from input or the database is printed escaped. */
function print(line: string): void {
  process.stdout.write(`${escapeForTerminal(line)}\n`);
}

function requireValue(values: Values, option: string): string {
  const value = values[option]?.trim();
  if (value === undefined || value === '') throw new UsageError(`--${option} is required`);
  return value;
}

function parseRole(raw: string): Role {
  const role = roleSchema.safeParse(raw);
  if (!role.success) throw new UsageError('--role must be admin, user or guest');
  return role.data;
}

async function findUserId(services: OperatorServices, email: string): Promise<string> {
  const user = await services.admin.findByEmail(email);
  if (user === undefined) throw new CommandFailed(`no user with email ${email}`);
  return user.id;
}

const normaliseEmail = (values: Values) => requireValue(values, 'email').toLowerCase();

const commands: readonly Command[] = [
  {
    name: 'user create',
    synopsis: '--email E --name N [--role admin|user|guest]',
    summary: 'create an account (password read from stdin)',
    help: `Creates an account through the registration service: the same email, name and password
rules, and the same "register" audit event. A --role other than user (the default) is then
granted as an admin would grant it, audited as "role_changed".

The password is read from stdin, never from the command line (visible to every user in ps):
  at a terminal, it is asked twice without echo; Enter ends it;
  piped, stdin up to its end is the password, less one trailing newline:
    printf '%s\\n' "$PASSWORD" | ${invocation} user create --email E --name N`,
    options: ['email', 'name', 'role'],
    async run(values, open) {
      const email = normaliseEmail(values);
      const name = requireValue(values, 'name');
      const role = parseRole(values.role ?? 'user');
      // Asked before connecting, so the prompt (and no-echo) comes at once, not after migrations.
      const password = await readPassword({ confirm: true });
      const services = await open();
      const body = registerBodySchema(services.config.passwordMinLength).safeParse({
        email,
        name,
        password,
      });
      if (!body.success) {
        throw new CommandFailed(
          body.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'),
        );
      }
      const user = await services.account.createByOperator(body.data, role, operatorContext);
      print(`created ${role} ${user.email} (${user.id})`);
    },
  },
  {
    name: 'user set-role',
    synopsis: '--email E --role admin|user|guest',
    summary: "change an account's role",
    help: `Changes the role as the admin API does (refused for the last active admin; audited as
"role_changed"). A privilege change ends the user's sessions: running instances refuse them
within a second, and the next sign-in carries the new role.`,
    options: ['email', 'role'],
    async run(values, open) {
      const email = normaliseEmail(values);
      const role = parseRole(requireValue(values, 'role'));
      const services = await open();
      const userId = await findUserId(services, email);
      await services.admin.changeRole(operatorActor, userId, role, operatorContext);
      print(`${email} is now ${role}; their sessions end within a second`);
    },
  },
  {
    name: 'user unlock',
    synopsis: '--email E',
    summary: "lift an account's sign-in lock",
    help: `Lifts the account-wide sign-in lock that repeated wrong passwords set, and forgets the
failures behind it, as the admin API's Unlock does (audited as "user_unlocked").`,
    options: ['email'],
    async run(values, open) {
      const email = normaliseEmail(values);
      const services = await open();
      await services.admin.unlock(
        operatorActor,
        await findUserId(services, email),
        operatorContext,
      );
      print(`${email} unlocked`);
    },
  },
  {
    name: 'user sign-out',
    synopsis: '--email E',
    summary: 'end every session of an account',
    help: `Revokes every session of the account (audited as "session_revoked"). Running instances
refuse them within a second; the user must sign in again.`,
    options: ['email'],
    async run(values, open) {
      const email = normaliseEmail(values);
      const services = await open();
      const userId = await findUserId(services, email);
      const count = await services.admin.signOutEverywhere(operatorActor, userId, operatorContext);
      print(`${email}: ${count} session(s) signed out`);
    },
  },
  {
    name: 'user list',
    synopsis: '',
    summary: 'list accounts',
    help: `Prints one line per account, newest first, tab-separated: id, role, email, name, and
when its sign-in lock ends (- when none). Control characters, bidirectional overrides and
backslashes in stored values are printed escaped (\\u{1b}, \\\\), never raw.`,
    options: [],
    async run(_values, open) {
      const services = await open();
      let cursor: string | undefined;
      do {
        const page = await services.admin.listUsers(100, cursor);
        for (const user of page.items) {
          const fields = [user.id, user.role, user.email, user.name, user.lockedUntil ?? '-'];
          process.stdout.write(`${fields.map(escapeForTerminal).join('\t')}\n`);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    },
  },
  {
    name: 'mail list',
    synopsis: '',
    summary: 'list the local outbox (mail written when SMTP_URL is unset)',
    help: `Lists the messages the server wrote to $DATA_DIR/outbox, newest first: time, recipient,
subject and links. Without SMTP_URL on a localhost origin every mail goes there, so the links to
verify an address or reset a password can be followed with no mail server.`,
    options: [],
    async run() {
      const appConfig = await loadConfigFromProcess();
      const { listOutbox } = await import('./modules/mail/mail-outbox.js');
      const messages = await listOutbox(appConfig.dataDir);
      if (messages.length === 0) print('the outbox is empty');
      for (const message of messages) {
        // Tab-separated like `user list`: each field escaped, the separators kept.
        const row = (fields: string[]) => `${fields.map(escapeForTerminal).join('\t')}\n`;
        process.stdout.write(row([message.date, message.to, message.subject]));
        for (const link of message.links) process.stdout.write(row(['', link]));
      }
    },
  },
  {
    name: 'audit verify',
    synopsis: '[--expect SEQ:HASH]',
    summary: 'check the audit hash chain and its signed checkpoints',
    help: `Walks the audit trail's hash chain from its first event to its head and reports the first
broken link: an event altered, deleted or reordered, a personal field changed, events removed
before the chain's start without a signed checkpoint, or a log truncated and rebuilt (it then
disagrees with a checkpoint signed with AUDIT_CHECKPOINT_KEY before). Rows written around the
chain and checkpoints no configured key signed are reported too.

--expect SEQ:HASH checks the chain against a head kept outside the database (the server logs
every checkpoint as "audit checkpoint"): whoever can rewrite the database can also delete
its checkpoints, but not the copies elsewhere.

Exit status 0 when everything verifies, 1 otherwise.`,
    options: ['expect'],
    async run(values) {
      const expected = (values.expect ?? '')
        .split(',')
        .filter((entry) => entry.trim() !== '')
        .map((entry) => {
          const match = /^(\d+):([0-9a-f]{64})$/.exec(entry.trim());
          if (match === null) throw new UsageError('--expect takes SEQ:HASH (64 hex digits)');
          return { seq: Number(match[1]), hash: match[2] ?? '' };
        });
      const { openAuditTools } = await import('./modules/audit/audit-operator.js');
      const tools = await openAuditTools(await loadConfigFromProcess());
      try {
        const report = await tools.audit.verify(expected);
        const range =
          report.firstSeq === null ? 'no events' : `events ${report.firstSeq} to ${report.lastSeq}`;
        print(`audit chain: ${report.events} event(s) verified (${range})`);
        const latest =
          report.latestCheckpointAt === null
            ? 'none'
            : `latest ${new Date(report.latestCheckpointAt).toISOString()}`;
        print(`signed checkpoints: ${report.validCheckpoints} (${latest})`);
        if (
          report.latestCheckpointAt !== null &&
          report.latestCheckpointAt < Date.now() - 2 * 3_600_000
        ) {
          // Hourly by design: older means housekeeping stopped, or someone removed the newer ones.
          print('warning: no checkpoint signed in the last two hours');
        }
        for (const checkpoint of report.invalidCheckpoints) {
          print(`checkpoint at event ${checkpoint.seq}: signature does not verify with any key`);
        }
        if (report.unsealed.count > 0) {
          print(
            `${report.unsealed.count} event(s) not on the chain: ${report.unsealed.ids.join(', ')}`,
          );
        }
        if (report.broken !== null) {
          print(`BROKEN at sequence ${report.broken.seq}: ${report.broken.reason}`);
        }
        if (!report.ok) throw new CommandFailed('audit chain does not verify');
        print('OK');
      } finally {
        await tools.close();
      }
    },
  },
  {
    name: 'audit export',
    synopsis: '--since ISO-8601 [--after-seq N] --format jsonl',
    summary: 'stream audit events as OCSF JSON Lines for a SIEM',
    help: `Writes the audit events recorded at or after --since (an ISO 8601 time), oldest first in
chain order, one OCSF 1.3 record per line on stdout (docs/audit-export.md): Authentication
(3002), Account Change (3001), or Base Event (0). Each record carries its sequence number and
hashes, so the receiver can check that nothing is missing or changed. --after-seq N starts
after sequence N instead (a SIEM's cursor). The export is itself audited ("audit_exported").`,
    options: ['since', 'after-seq', 'format'],
    async run(values) {
      if ((values.format ?? 'jsonl') !== 'jsonl') throw new UsageError('--format must be jsonl');
      const since = values.since;
      const afterSeq = values['after-seq'];
      if (since === undefined && afterSeq === undefined) {
        throw new UsageError('--since or --after-seq is required');
      }
      const sinceMs = since === undefined ? undefined : Date.parse(since);
      if (
        sinceMs !== undefined &&
        (Number.isNaN(sinceMs) || !/^\d{4}-\d{2}-\d{2}/.test(since ?? ''))
      ) {
        throw new UsageError(
          '--since must be an ISO 8601 time (2026-01-31 or 2026-01-31T12:00:00Z)',
        );
      }
      if (afterSeq !== undefined && !/^\d+$/.test(afterSeq)) {
        throw new UsageError('--after-seq must be a sequence number');
      }
      const { openAuditTools } = await import('./modules/audit/audit-operator.js');
      const tools = await openAuditTools(await loadConfigFromProcess());
      try {
        let rows = 0;
        // Raw JSON, not escaped for a terminal: the output is for a machine, and JSON.stringify
        // already escapes every control character inside strings.
        for await (const line of tools.audit.exportSince({
          ...(sinceMs === undefined ? {} : { sinceMs }),
          ...(afterSeq === undefined ? {} : { afterSeq: Number(afterSeq) }),
        })) {
          process.stdout.write(`${line}\n`);
          rows += 1;
        }
        await tools.audit.record(operatorContext, {
          type: 'audit_exported',
          outcome: 'success',
          detail: `ocsf jsonl${since === undefined ? '' : ` since ${since}`}${afterSeq === undefined ? '' : ` after ${afterSeq}`}: ${rows} event(s)`,
        });
      } finally {
        await tools.close();
      }
    },
  },
  {
    name: 'db migrate',
    synopsis: '',
    summary: 'apply database migrations',
    help: `Applies pending migrations and exits. The server applies them at start-up too; run this
ahead of a deploy so instances start on a migrated database.`,
    options: [],
    async run(_values, open) {
      await open();
      print('migrations applied');
    },
  },
  {
    name: 'db backup',
    synopsis: 'FILE',
    summary: 'copy the SQLite database to FILE while the server runs',
    help: `Takes a consistent online backup of the SQLite database (SQLite's backup API: the copy is
the database as of one commit, while the server goes on writing), checks it (integrity and
schema version) and writes it to FILE, which must not exist (mode 0600: it holds password
hashes). For PostgreSQL use pg_dump (README, "Operating").`,
    options: [],
    takesFile: true,
    async run(values) {
      const destination = requireFile(values);
      const file = requireSqlite(await loadConfigFromProcess(), 'pg_dump');
      const { backupSqlite } = await import('./db/sqlite-backup.js');
      const report = await guardBackup(() => backupSqlite(file, destination));
      print(
        `backed up ${report.pages} pages, schema ${report.migrations.at(-1) ?? ''}, to ${destination}`,
      );
    },
  },
  {
    name: 'db restore',
    synopsis: 'FILE',
    summary: 'replace the SQLite database with a backup (server stopped)',
    help: `Restores a backup made by \`db backup\`. Refuses a file that fails PRAGMA integrity_check or
is not a Portcullis database of a schema version this build knows, and refuses while a server
has the database open: stop every instance first. The current database is kept beside it as
<file>.before-restore-<time>. Start the server (or run \`db migrate\`) afterwards: a backup
of an older version is migrated then. For PostgreSQL use pg_restore (README, "Operating").`,
    options: [],
    takesFile: true,
    async run(values) {
      const backup = requireFile(values);
      const file = requireSqlite(await loadConfigFromProcess(), 'pg_restore');
      const { restoreSqlite } = await import('./db/sqlite-backup.js');
      const report = await guardBackup(() => restoreSqlite(backup, file));
      if (report.previous !== undefined) print(`previous database kept as ${report.previous}`);
      print(`restored ${report.pages} pages, schema ${report.migrations.at(-1) ?? ''}`);
    },
  },
  {
    name: 'selftest',
    synopsis:
      'URL [--http-port N] [--ca FILE | --insecure] [--account E:P [--allow-lockout]] [--json]',
    summary: 'check a running deployment from outside (TLS, headers, cookies, CSRF, ...)',
    help: `Needs no database and no configuration: it only talks to URL, as a browser or scanner would.
${selftestHelp}`,
    options: ['http-port', 'ca', 'account', 'timeout-ms'],
    flags: ['insecure', 'json', 'allow-lockout'],
    takesFile: true,
    async run(values) {
      // Loaded on demand, like the database layer: other commands do not pay for it.
      const { runSelftestCommand, SelftestUsageError } =
        await import('./selftest/selftest-command.js');
      let failed: number;
      try {
        failed = await runSelftestCommand(
          { ...values, url: values.file },
          { write: (text) => process.stdout.write(text), escape: escapeForTerminal },
        );
      } catch (error) {
        if (error instanceof SelftestUsageError) throw new UsageError(error.message);
        throw error;
      }
      if (failed > 0) throw new CommandFailed(`selftest: ${failed} check(s) failed`);
    },
  },
];

function requireFile(values: Values): string {
  const file = values.file;
  if (file === undefined || file === '') throw new UsageError('FILE is required');
  return file;
}

function requireSqlite(config: AppConfig, tool: string): string {
  if (config.database.kind !== 'sqlite') {
    throw new CommandFailed(`DATABASE_URL is PostgreSQL: use ${tool} (README, "Operating")`);
  }
  return config.database.file;
}

/** A refusal (not a database, unknown schema, server running) is the command's answer, not a crash. */
async function guardBackup<T>(run: () => Promise<T>): Promise<T> {
  const { BackupRefused } = await import('./db/sqlite-backup.js');
  try {
    return await run();
  } catch (error) {
    if (error instanceof BackupRefused) throw new CommandFailed(error.message);
    throw error;
  }
}

function commandUsage(command: Command): string {
  const synopsis = command.synopsis === '' ? '' : ` ${command.synopsis}`;
  return `Usage: ${invocation} ${command.name}${synopsis}`;
}

function commandHelp(command: Command): string {
  return `${commandUsage(command)}\n\n${command.help}\n`;
}

function usage(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `Usage: ${invocation} <command> [options]

Commands:
${lines.join('\n')}

Run \`${invocation} <command> --help\` for its options.
The CLI reads the server's configuration (.env, then the environment: DATA_DIR, DATABASE_URL, ...).
Exit status: 0 done, 1 refused or failed, 2 wrong command line.
`;
}

/**
 * The password comes from stdin, never argv: argv is visible to every user in `ps`. At a terminal
 * it is read without echo, a line at a time; from a pipe, up to the end of input.
 */
async function readPassword(options: { confirm: boolean }): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  const terminal = new HiddenLineReader(process.stdin);
  try {
    const password = await terminal.read('Password (not shown; Enter ends it): ');
    if (options.confirm && (await terminal.read('Repeat the password: ')) !== password) {
      throw new CommandFailed('the passwords differ');
    }
    return password;
  } finally {
    terminal.close();
  }
}

class Interrupted extends Error {}

/**
 * Reads lines from a terminal in raw mode, so nothing typed is echoed. Enter ends a line;
 * Backspace and Ctrl-U edit it; Ctrl-C and Ctrl-D on an empty line abort. Keys that send escape
 * sequences (arrows) are ignored rather than taken into the password.
 */
class HiddenLineReader {
  private pending = '';
  private readonly restore = () => {
    this.stdin.setRawMode(false);
  };

  constructor(private readonly stdin: NodeJS.ReadStream) {
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    // Were the process to exit mid-prompt, the shell would be left without echo.
    process.once('exit', this.restore);
  }

  read(prompt: string): Promise<string> {
    process.stderr.write(prompt);
    return new Promise((resolve, reject) => {
      let line = '';
      const finish = (error?: Error) => {
        this.stdin.off('data', onData);
        this.stdin.pause();
        process.stderr.write('\n');
        if (error === undefined) resolve(line);
        else reject(error);
      };
      const consume = (input: string): boolean => {
        const chars = [...input];
        for (let i = 0; i < chars.length; i += 1) {
          const char = chars[i] ?? '';
          if (char === '\r' || char === '\n') {
            this.pending = chars.slice(i + 1).join('');
            finish();
            return true;
          }
          if (char === '\u0003' || (char === '\u0004' && line === '')) {
            finish(new Interrupted());
            return true;
          }
          if (char === '\u0004') {
            finish();
            return true;
          }
          if (char === '\u007f' || char === '\b') line = [...line].slice(0, -1).join('');
          else if (char === '\u0015') line = '';
          else if (char === '\u001b') break;
          else if (char >= ' ') line += char;
        }
        return false;
      };
      const onData = (chunk: string) => {
        consume(chunk);
      };
      const buffered = this.pending;
      this.pending = '';
      if (consume(buffered)) return;
      this.stdin.on('data', onData);
      this.stdin.resume();
    });
  }

  close(): void {
    this.restore();
    process.off('exit', this.restore);
    this.stdin.pause();
  }
}

function describeError(error: AppError): string {
  const fields = error.options.fields ?? [];
  if (fields.length === 0) return error.message;
  return fields.map((field) => `${field.path}: ${field.message}`).join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const firstOption = argv.findIndex((arg) => arg.startsWith('-'));
  const words = firstOption === -1 ? [...argv] : argv.slice(0, firstOption);
  const rest = argv.slice(words.length);
  let helpAsked = rest.includes('--help') || rest.includes('-h');
  if (words[0] === 'help') {
    helpAsked = true;
    words.shift();
  }
  let name = words.join(' ');
  let command = commands.find((candidate) => candidate.name === name);
  let file: string | undefined;
  // `db backup FILE`: the last word is the command's one argument.
  const withFile = commands.find(
    (candidate) => candidate.takesFile === true && candidate.name === words.slice(0, -1).join(' '),
  );
  if (command === undefined && withFile !== undefined) {
    command = withFile;
    name = withFile.name;
    file = words.at(-1);
  }

  if (command === undefined) {
    const group = words.length <= 1 && commands.some((c) => c.name.startsWith(`${name} `));
    if (helpAsked && (name === '' || group)) {
      process.stdout.write(usage());
      return 0;
    }
    const problem = name === '' ? 'no command given' : `unknown command: ${name}`;
    process.stderr.write(`${escapeForTerminal(problem)}\n\n${usage()}`);
    return 2;
  }
  if (helpAsked) {
    process.stdout.write(commandHelp(command));
    return 0;
  }

  const closers: (() => Promise<void>)[] = [];
  try {
    let values: Values;
    try {
      const parsed = parseArgs({
        args: [...rest],
        allowPositionals: false,
        strict: true,
        options: Object.fromEntries<{ type: 'string' | 'boolean' }>([
          ...command.options.map((option) => [option, { type: 'string' as const }] as const),
          ...(command.flags ?? []).map((flag) => [flag, { type: 'boolean' as const }] as const),
        ]),
      }).values as Record<string, string | boolean | undefined>;
      values = Object.fromEntries(
        Object.entries(parsed).map(([key, value]) => [
          key,
          value === true ? 'true' : value === false ? undefined : value,
        ]),
      );
      if (command.takesFile === true) values.file = file;
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    let services: Promise<OperatorServices> | undefined;
    const open = () => {
      services ??= (async () => {
        const appConfig = await loadConfigFromProcess();
        // Loaded on demand: --help and usage errors answer without loading the database layer.
        const { openOperatorServices } = await import('./modules/admin/operator-services.js');
        const opened = await openOperatorServices(appConfig);
        closers.push(() => opened.close());
        return { ...opened, config: appConfig };
      })();
      return services;
    };
    await command.run(values, open);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${escapeForTerminal(error.message)}\n\n${commandHelp(command)}`);
      return 2;
    }
    if (error instanceof Interrupted) return 130;
    let message: string;
    if (error instanceof CommandFailed) message = error.message;
    else if (error instanceof AppError) message = describeError(error);
    else if (error instanceof ConfigError) message = `configuration error: ${error.message}`;
    else message = `error: ${error instanceof Error ? error.message : String(error)}`;
    // Several field errors come one per line; each line is escaped on its own.
    process.stderr.write(`${message.split('\n').map(escapeForTerminal).join('\n')}\n`);
    return 1;
  } finally {
    for (const close of closers) await close();
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${escapeForTerminal(String(error))}\n`);
    process.exitCode = 1;
  },
);
