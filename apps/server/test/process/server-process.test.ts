import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The compiled server as an operator runs it: HTTPS with a generated certificate, the redirect-only
 * HTTP listener, generated secrets with safe permissions, and config errors that stop the process
 * with one line. Runs against apps/server/dist, which `npm test` builds first.
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

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { headers, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${String(child.exitCode)}`);
    try {
      if ((await get(`${url}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not become healthy');
}

describe('the server process', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-process-'));
  let child: ChildProcess;
  let httpsPort: number;
  let httpPort: number;
  let stderr = '';

  beforeAll(async () => {
    httpsPort = await freePort();
    httpPort = await freePort();
    child = spawn(process.execPath, [serverJs], {
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        PORT: String(httpsPort),
        HTTP_PORT: String(httpPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    await waitForHealth(`https://127.0.0.1:${httpsPort}`, child);
  }, 30_000);

  afterAll(() => {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves HTTPS with HSTS on its generated certificate', async () => {
    const reply = await get(`https://127.0.0.1:${httpsPort}/healthz`);
    expect(reply.status).toBe(200);
    expect(reply.headers['strict-transport-security']).toMatch(/max-age=\d{8,}/);
    expect(reply.headers['x-powered-by']).toBeUndefined();
  });

  it('stores generated secrets and the private key readable by the owner only', () => {
    expect(statSync(path.join(dataDir, 'secrets.json')).mode & 0o077).toBe(0);
    expect(statSync(path.join(dataDir, 'dev-key.pem')).mode & 0o077).toBe(0);
  });

  it('redirects plain HTTP to the public origin, never to the Host header', async () => {
    const reply = await get(`http://127.0.0.1:${httpPort}/notes?x=1`, { host: 'evil.example' });
    expect(reply.status).toBe(308);
    expect(reply.headers.location).toBe(`https://localhost:${httpsPort}/notes?x=1`);
  });

  it.each(['/api/session', '/api', '//api/notes?x=1', '/./api/csrf'])(
    'refuses the API over plain HTTP (%s) with 403 https_required instead of redirecting',
    async (target) => {
      const reply = await get(`http://127.0.0.1:${httpPort}${target}`);
      expect(reply.status).toBe(403);
      expect(reply.headers.location).toBeUndefined();
      expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(reply.headers['cache-control']).toBe('no-store');
      const body = JSON.parse(reply.body) as { error: { code: string; message: string } };
      expect(body.error).toMatchObject({
        code: 'https_required',
        message: 'The API answers over HTTPS only.',
      });
    },
  );

  it('prints one ready line naming the public origin as soon as it listens', () => {
    // Written at once, not through the buffered JSON log: by the time /healthz answered it is there.
    expect(stderr.split('\n').filter((line) => line.startsWith('portcullis: ready'))).toEqual([
      `portcullis: ready, open https://localhost:${httpsPort}`,
    ]);
  });

  it.each([
    ['//evil.example/x', '/evil.example/x'],
    ['///evil.example/x', '/evil.example/x'],
    ['/\\evil.example', '/evil.example'],
    ['/.//evil.example', '/evil.example'],
    ['http://evil.example/x?y=1', '/x?y=1'],
    ['https://evil.example', '/'],
  ])(
    'redirects the request target %s to a path on the public origin (%s)',
    async (target, path) => {
      const reply = await new Promise<{ status: number; location: string | undefined }>(
        (resolve, reject) => {
          // `path` is sent as the request target byte for byte, absolute form included.
          const req = httpRequest(
            { host: '127.0.0.1', port: httpPort, path: target, headers: { host: 'evil.example' } },
            (res) => {
              res.resume();
              resolve({ status: res.statusCode ?? 0, location: res.headers.location });
            },
          );
          req.on('error', reject);
          req.end();
        },
      );
      expect(reply.status).toBe(308);
      expect(reply.location).toBe(`https://localhost:${httpsPort}${path}`);
    },
  );

  it("runs libuv's pool threads, where hashes run, at nice 10 and the event loop at nice 0", () => {
    const nice = (task: string): number => {
      const stat = readFileSync(`/proc/${String(child.pid)}/task/${task}/stat`, 'utf8');
      // Field 19 of stat(5), counted after the command name's closing parenthesis.
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const tasks = readdirSync(`/proc/${String(child.pid)}/task`);
    expect(nice(String(child.pid))).toBe(0);
    // libuv's default pool: UV_THREADPOOL_SIZE is not set for this process.
    expect(tasks.filter((task) => nice(task) === 10)).toHaveLength(4);
  });

  it('exits 0 on SIGTERM after closing', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('configuration errors', () => {
  it.each([
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ JWT_SECRETS: 'short' }, 'JWT_SECRETS'],
    [{ PUBLIC_ORIGIN: 'https://example.com' }, 'JWT_SECRETS'],
    [{ NODE_ENV: 'production', PUBLIC_ORIGIN: 'http://example.com' }, 'PUBLIC_ORIGIN'],
    [{ INSTANCE_COUNT: '2' }, 'REDIS_URL'],
  ])('stop the process with one line naming the variable (%o)', (env, variable) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-config-'));
    const result = spawnSync(process.execPath, [serverJs], {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', HTTP_PORT: '0', ...env },
      encoding: 'utf8',
      timeout: 15_000,
    });
    rmSync(dataDir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
  });
});

describe('the operator CLI', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-cli-'));
  const cli = (args: string[], input = '') =>
    spawnSync(process.execPath, [cliJs, ...args], {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
      input,
      encoding: 'utf8',
      timeout: 20_000,
    });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates an admin with the password from stdin, lists, changes roles and unlocks', () => {
    const created = cli(
      ['user', 'create', '--email', 'Root@Example.com', '--name', 'Root', '--role', 'admin'],
      'a-long-operator-passphrase-7\n',
    );
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    expect(created.stdout).toContain('created admin root@example.com');

    expect(
      cli(['user', 'create', '--email', 'x@example.com', '--name', 'X'], 'password1234\n').status,
    ).toBe(1);
    expect(
      cli(['user', 'set-role', '--email', 'root@example.com', '--role', 'user']).stderr,
    ).toContain('last active administrator');

    const listed = cli(['user', 'list']);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/\tadmin\troot@example\.com\tRoot/);
    expect(listed.stdout).not.toContain('argon2');

    expect(cli(['user', 'unlock', '--email', 'root@example.com']).status).toBe(0);
    expect(cli(['db', 'migrate']).stdout).toContain('migrations applied');
    // Six process starts, each loading the compiled server: slow on a loaded two-core machine.
  }, 30_000);
});
