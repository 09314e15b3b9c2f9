import { CSRF_HEADER } from '@portcullis/contract/auth';
import { cookieNames } from '../plugins/cookies.js';
import { headerValues, type ProbeClient, type ProbeReply } from './probe-client.js';

/**
 * What a browser on the deployment's own page does: keeps cookies (by name; the self-test never
 * needs two paths of one name at once), fetches a CSRF token, sends its Origin. The refusal checks
 * start from this well-formed request and change one thing, so a refusal is the one thing's doing.
 */
export class ProbeBrowser {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line received, in order, for the cookie-flag checks. */
  readonly setCookieLines: string[] = [];

  constructor(private readonly client: ProbeClient) {}

  get origin(): string {
    return this.client.origin;
  }

  private remember(reply: ProbeReply): void {
    for (const line of headerValues(reply.headers, 'set-cookie')) {
      this.setCookieLines.push(line);
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === '' || /;\s*max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(overrides: Record<string, string | undefined> = {}): string {
    const jar = new Map(this.cookies);
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) jar.delete(name);
      else jar.set(name, value);
    }
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async csrfToken(): Promise<string> {
    const reply = await this.send('GET', '/api/csrf');
    try {
      const { csrfToken } = JSON.parse(reply.body) as { csrfToken?: unknown };
      if (typeof csrfToken === 'string') return csrfToken;
    } catch {
      // reported below
    }
    throw new Error(`GET /api/csrf answered ${reply.status} without a token`);
  }

  /** One request with this browser's cookies; `headers` add to or replace its own. */
  async send(
    method: string,
    target: string,
    options: { json?: unknown; headers?: Record<string, string>; body?: string } = {},
  ): Promise<ProbeReply> {
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader();
    if (cookie !== '') headers.cookie = cookie;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, options.headers);
    const reply = await this.client.request({
      method,
      target,
      headers,
      ...(options.json !== undefined
        ? { body: JSON.stringify(options.json) }
        : options.body !== undefined
          ? { body: options.body }
          : {}),
    });
    this.remember(reply);
    return reply;
  }

  /** An unsafe request exactly as the SPA sends it: Origin, CSRF token, JSON. */
  async sendAsApp(method: string, target: string, json: unknown = {}): Promise<ProbeReply> {
    const token = await this.csrfToken();
    return this.send(method, target, {
      json,
      headers: { origin: this.origin, [CSRF_HEADER]: token },
    });
  }

  signIn(account: { email: string; password: string }): Promise<ProbeReply> {
    return this.sendAsApp('POST', '/api/login', account);
  }

  get accessToken(): string | undefined {
    return this.cookies.get(cookieNames.access);
  }
}
