import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The built application (`npm run build` first; nothing is built here) started as a child process
 * exactly as an operator would: `node apps/server/bundle/server.js`, a fresh data directory, free
 * ports, mail through SMTP to the test's own mail server, and an administrator created through
 * the operator CLI (whose users need no address confirmation).
 */

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const serverEntry = path.join(repoRoot, 'apps/server/bundle/server.js');
const cliEntry = path.join(repoRoot, 'apps/server/dist/cli.js');
const webIndex = path.join(repoRoot, 'apps/web/dist/index.html');

export interface Credentials {
  email: string;
  password: string;
  name: string;
}

export const admin: Credentials = {
  email: 'admin@example.com',
  password: 'e2e-correct-horse-battery-staple',
  name: 'Ada Admin',
};

export interface RunningServer {
  origin: string;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}

export interface ServerOptions {
  /** Where the app sends mail: `smtp://127.0.0.1:<port>` of the test's SMTP server. */
  smtpUrl: string;
  /** Roles that must enrol a second factor (MFA_REQUIRED_ROLES); none unless a test asks. */
  mfaRequiredRoles?: string;
  /** More settings for the test's story, as OIDC_PROVIDERS naming a provider the test runs. */
  env?: Record<string, string>;
}

function serverEnv(dataDir: string, port: number, options: ServerOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    // 0: no plain-HTTP redirect listener; the browser goes straight to HTTPS.
    HTTP_PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // Every request counts against the general per-client limit, static files included, and every
    // browser session of a test file comes from 127.0.0.1: far more than one person's page loads.
    RATE_LIMIT_MAX: '100000',
    SMTP_URL: options.smtpUrl,
    // Plain SMTP is allowed for a relay on this machine only, which the test's server is.
    SMTP_REQUIRE_TLS: 'false',
    MFA_REQUIRED_ROLES: options.mfaRequiredRoles ?? '',
    ...options.env,
  };
}

function runCli(args: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { env, cwd: repoRoot });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`cli ${args.join(' ')} exited with ${String(code)}:\n${output}`));
    });
    child.stdin.end(`${stdin}\n`);
  });
}

/** True once /readyz answers 200 (database reachable, breached-password list loaded). */
function isReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request(
      { host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 2000 },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    probe.once('error', () => {
      resolve(false);
    });
    probe.once('timeout', () => {
      probe.destroy();
      resolve(false);
    });
    probe.end();
  });
}

async function waitUntilReady(port: number, child: ChildProcess, logs: () => string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${String(child.exitCode)} before ready:\n${logs()}`);
    }
    if (await isReady(port)) return;
    // Polling a readiness endpoint, not waiting for a guessed duration.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not ready after 60 s:\n${logs()}`);
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if (!existsSync(serverEntry) || !existsSync(webIndex)) {
    throw new Error('The e2e tests run the built app: run `npm run build` first.');
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-e2e-'));
  const port = await freePort();
  const env = serverEnv(dataDir, port, options);

  await runCli(
    ['user', 'create', '--email', admin.email, '--name', admin.name, '--role', 'admin'],
    env,
    admin.password,
  );

  const child = spawn(process.execPath, [serverEntry], { env, cwd: repoRoot });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });

  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killTimer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitUntilReady(port, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  // `localhost`, not 127.0.0.1: it is the server's default public origin, which the CSRF origin
  // check compares against, and a secure context for the browser.
  return { origin: `https://localhost:${port}`, stop };
}
