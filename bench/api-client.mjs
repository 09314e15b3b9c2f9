import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
// A small API client for seeding: it keeps cookies like a browser and sends the CSRF token and
// Origin on every unsafe request, so the bench goes through the same defences a browser does.
import http from 'node:http';
import https from 'node:https';

export const cookieNames = {
  access: '__Host-portcullis-access',
  refresh: '__Host-portcullis-refresh',
  csrf: '__Host-portcullis-csrf',
};

export class ApiClient {
  /**
   * @param {string} origin where requests go (loopback)
   * @param {{ publicOrigin: string, ca?: string | Buffer, forwardedFor?: string }} options
   */
  constructor(origin, { publicOrigin, ca, forwardedFor }) {
    this.origin = origin;
    this.publicOrigin = publicOrigin;
    this.ca = ca;
    this.forwardedFor = forwardedFor;
    this.cookies = new Map();
    this.csrfToken = undefined;
  }

  get cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  request(method, path, body) {
    const url = new URL(path, this.origin);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { accept: 'application/json' };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader;
    if (this.forwardedFor !== undefined) headers['x-forwarded-for'] = this.forwardedFor;
    if (method !== 'GET') {
      headers.origin = this.publicOrigin;
      if (this.csrfToken !== undefined) headers['x-csrf-token'] = this.csrfToken;
    }
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const client = url.protocol === 'https:' ? https : http;
    const tls = url.protocol === 'https:' ? { ca: this.ca, servername: 'localhost' } : {};
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        { method, headers, agent: false, timeout: 15_000, ...tls },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () => {
            for (const line of response.headers['set-cookie'] ?? []) {
              const [pair] = line.split(';');
              const eq = pair.indexOf('=');
              const name = pair.slice(0, eq).trim();
              const value = pair.slice(eq + 1).trim();
              if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) {
                this.cookies.delete(name);
              } else {
                this.cookies.set(name, value);
              }
            }
            const text = Buffer.concat(chunks).toString('utf8');
            let json;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: response.statusCode ?? 0, json, text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async expect(status, method, path, body) {
    const response = await this.request(method, path, body);
    if (response.status !== status) {
      throw new Error(
        `${method} ${path}: expected ${status}, got ${response.status} ${response.text.slice(0, 300)}`,
      );
    }
    return response.json;
  }

  async refreshCsrf() {
    const { csrfToken } = await this.expect(200, 'GET', '/api/csrf');
    this.csrfToken = csrfToken;
    return csrfToken;
  }

  /**
   * Registers (202), follows the verification link the server wrote to its local outbox (the
   * bench runs without SMTP_URL on a localhost origin), and signs in; afterwards the client holds
   * session cookies and a fresh token.
   */
  async registerAndLogin({ email, password, name, dataDir }) {
    await this.refreshCsrf();
    await this.expect(202, 'POST', '/api/register', { email, password, name });
    const token = await verificationTokenFromOutbox(dataDir, email);
    await this.expect(200, 'POST', '/api/verify-email', { token });
    await this.expect(200, 'POST', '/api/login', { email, password });
    // Login rotates the CSRF binding, so the token from before is dead by design.
    await this.refreshCsrf();
    if (!this.cookies.has(cookieNames.access)) throw new Error('login set no access cookie');
  }

  /** Headers for a load generator that should look like this signed-in browser. */
  loadHeaders({ unsafe = false } = {}) {
    const headers = { cookie: this.cookieHeader, accept: 'application/json' };
    if (unsafe) {
      headers.origin = this.publicOrigin;
      headers['x-csrf-token'] = this.csrfToken;
      headers['content-type'] = 'application/json';
    }
    return headers;
  }
}

/** The token of the verification link mailed to `email`, read from the server's outbox files. */
async function verificationTokenFromOutbox(dataDir, email) {
  const dir = path.join(dataDir, 'outbox');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const names = await readdir(dir).catch(() => []);
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const message = JSON.parse(await readFile(path.join(dir, name), 'utf8'));
      if (message.to !== email) continue;
      const link = message.links.find((candidate) => candidate.includes('/verify-email#token='));
      if (link !== undefined) return new URL(link).hash.slice('#token='.length);
    }
    if (Date.now() > deadline) throw new Error(`no verification mail for ${email} in ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
