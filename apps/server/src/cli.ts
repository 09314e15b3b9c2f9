import { parseArgs } from 'node:util';
import { registerBodySchema } from '@portcullis/contract/auth';
import { roleSchema } from '@portcullis/contract/roles';
import { ConfigError, loadConfigFromProcess } from './config.js';
import { createDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrations.js';
import { DbCounterStore } from './lib/db-counter-store.js';
import { createPasswordHasher } from './lib/password-hasher.js';
import { createPasswordPolicy } from './lib/password-policy.js';
import { newId } from './lib/random.js';
import { LoginThrottle } from './modules/auth/login-throttle.js';
import { SessionRepository } from './modules/auth/session-repository.js';
import { UserRepository } from './modules/users/user-repository.js';

const usage = `Usage: npm run cli -- <command>
  user create --email E --name N [--role admin|user|guest]   (password read from stdin)
  user set-role --email E --role admin|user|guest
  user unlock --email E
  user list
  db migrate`;

/** The password comes from stdin, never argv: argv is visible to every user in `ps`. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
  });
  const command = positionals.join(' ');
  const config = await loadConfigFromProcess();
  const db = createDatabase(config.database);
  try {
    await migrateToLatest(db as never);
    const users = new UserRepository(db);
    const email = values.email?.trim().toLowerCase();

    switch (command) {
      case 'db migrate':
        process.stdout.write('migrations applied\n');
        return;
      case 'user create': {
        const role = roleSchema.safeParse(values.role ?? 'user');
        if (!role.success) fail('--role must be admin, user or guest');
        const password = await readPassword();
        const body = registerBodySchema(config.passwordMinLength).safeParse({
          email,
          name: values.name,
          password,
        });
        if (!body.success)
          fail(body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
        const verdict = createPasswordPolicy({ minLength: config.passwordMinLength }).check(
          password,
          {
            email: body.data.email,
            name: body.data.name,
          },
        );
        if (!verdict.ok) fail(`password: ${verdict.message}`);
        const now = Date.now();
        const id = newId();
        const inserted = await users.insert({
          id,
          email: body.data.email,
          name: body.data.name,
          role: role.data,
          password_hash: await createPasswordHasher(config.hashing).hash(password),
          created_at: now,
          updated_at: now,
        });
        if (!inserted) fail(`a user with email ${body.data.email} exists`);
        process.stdout.write(`created ${role.data} ${body.data.email} (${id})\n`);
        return;
      }
      case 'user set-role': {
        const role = roleSchema.safeParse(values.role);
        if (!role.success || email === undefined) fail('need --email and --role admin|user|guest');
        const user = await users.findByEmail(email);
        if (user === undefined) fail(`no user with email ${email}`);
        const outcome = await users.updateRoleKeepingAnAdmin(user.id, role.data);
        if (outcome === 'last_admin') fail('refused: this is the last admin');
        // Live sessions pick up the new role within the session cache's lifetime on a running
        // server; revoking them makes it immediate.
        await new SessionRepository(db).revokeAllForUser(user.id, Date.now());
        process.stdout.write(`${email} is now ${role.data}; their sessions were signed out\n`);
        return;
      }
      case 'user unlock': {
        if (email === undefined) fail('need --email');
        const counters = new DbCounterStore(db);
        for (const key of LoginThrottle.accountKeys(email)) await counters.reset(key);
        process.stdout.write(`${email} unlocked\n`);
        return;
      }
      case 'user list': {
        for (const user of await users.list(1000)) {
          process.stdout.write(`${user.id}\t${user.role}\t${user.email}\t${user.name}\n`);
        }
        return;
      }
      default:
        fail(usage);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) fail(`configuration error: ${error.message}`);
  fail(`error: ${error instanceof Error ? error.message : String(error)}`);
});
