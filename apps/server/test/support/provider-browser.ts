import { parseSetCookie } from './test-app.js';

/**
 * A browser for provider round trips: one cookie jar per host (the app and the provider are two
 * sites), redirects followed by hand so each hop can be inspected, and the app's public origin
 * mapped to the address the test app listens on (the provider redirects to the registered URI).
 * Cookie flags are not enforced (the test app speaks HTTP); the tests assert the flags directly.
 */
export class ProviderBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  constructor(
    private readonly app: { publicOrigin: string; url: string },
    private readonly userAgent = 'portcullis-federation-test/1.0',
  ) {}

  /** Where a URL really goes: the app's public origin is the test app's loopback address. */
  private resolve(url: string): URL {
    const target = new URL(url, this.app.publicOrigin);
    if (target.origin === this.app.publicOrigin) {
      return new URL(`${target.pathname}${target.search}`, this.app.url);
    }
    return target;
  }

  jar(url: string): Map<string, string> {
    const { host } = this.resolve(url);
    let jar = this.jars.get(host);
    if (jar === undefined) {
      jar = new Map();
      this.jars.set(host, jar);
    }
    return jar;
  }

  /** A path is taken as the app's, as a link on one of its pages would be. */
  absolute(url: string): string {
    return new URL(url, this.app.publicOrigin).href;
  }

  isApp(url: string): boolean {
    return this.resolve(url).origin === new URL(this.app.url).origin;
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<{
    status: number;
    location: string | undefined;
    text: string;
    headers: Headers;
    url: string;
  }> {
    const target = this.resolve(url);
    const jar = this.jar(url);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...init.headers };
    if (jar.size > 0)
      headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    let body: string | undefined;
    if (init.form !== undefined) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await fetch(target, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      ...(body === undefined ? {} : { body }),
    });
    for (const header of response.headers.getSetCookie()) {
      const cookie = parseSetCookie(header);
      const maxAge = cookie.attributes.get('max-age');
      const expires = cookie.attributes.get('expires');
      const removed =
        (typeof maxAge === 'string' && Number(maxAge) <= 0) ||
        (typeof expires === 'string' && Date.parse(expires) <= Date.now());
      if (removed) jar.delete(cookie.name);
      else jar.set(cookie.name, encodeURIComponent(cookie.value));
    }
    const location = response.headers.get('location') ?? undefined;
    // Relative redirects resolve against the URL as the browser knew it (the public origin).
    const publicUrl = new URL(url, this.app.publicOrigin).href;
    return {
      status: response.status,
      location: location === undefined ? undefined : new URL(location, publicUrl).href,
      text: await response.text(),
      headers: response.headers,
      url: publicUrl,
    };
  }
}

export interface RoundTrip {
  /** Where the round trip ended: an app page (`/`, `/sign-in?error=…`, `/security?…`). */
  landing: URL;
  /** The app's callback URL as the provider redirected to it (to replay it). */
  callbackUrl: string | undefined;
  hops: number;
}

/**
 * Starts at `startUrl` and follows the provider's pages as a user would: logs in as `login`,
 * consents (or cancels), until the browser lands on a page of the app. Bounded to 20 hops.
 */
export async function roundTrip(
  browser: ProviderBrowser,
  startUrl: string,
  options: { login?: string; deny?: boolean; stopAtCallback?: boolean } = {},
): Promise<RoundTrip> {
  let url = browser.absolute(startUrl);
  let callbackUrl: string | undefined;
  for (let hops = 0; hops < 20; hops += 1) {
    if (browser.isApp(url) && /\/api\/auth\/[^/]+\/callback/.test(url)) {
      callbackUrl = url;
      if (options.stopAtCallback === true) return { landing: new URL(url), callbackUrl, hops };
    }
    if (browser.isApp(url) && !new URL(url).pathname.startsWith('/api/')) {
      return { landing: new URL(url), callbackUrl, hops };
    }
    const page = await browser.request(url);
    if (page.status >= 300 && page.status < 400 && page.location !== undefined) {
      url = page.location;
      continue;
    }
    if (page.status !== 200)
      throw new Error(`${url} answered ${page.status}: ${page.text.slice(0, 300)}`);
    const form = parseForm(page.text, url);
    if (form === undefined) throw new Error(`no form at ${url}: ${page.text.slice(0, 300)}`);
    if (options.deny === true && form.fields.prompt !== undefined) {
      url = new URL(`${new URL(url).pathname}/abort`, url).href;
      continue;
    }
    const fields = { ...form.fields };
    if (fields.prompt === 'login')
      Object.assign(fields, { login: options.login ?? 'alice', password: 'any' });
    if (form.logout) fields.logout = 'yes';
    const posted = await browser.request(form.action, { method: 'POST', form: fields });
    if (posted.location === undefined)
      throw new Error(`form post at ${url} answered ${posted.status}`);
    url = posted.location;
  }
  throw new Error('round trip did not end within 20 hops');
}

/** The first form of an oidc-provider page: its action and hidden fields. */
function parseForm(
  html: string,
  pageUrl: string,
): { action: string; fields: Record<string, string>; logout: boolean } | undefined {
  const form = /<form[^>]*action="([^"]+)"[^>]*>/i.exec(html);
  if (form?.[1] === undefined) return undefined;
  const fields: Record<string, string> = {};
  for (const input of html.matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
    const name = /name="([^"]+)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name !== undefined) fields[name] = value;
  }
  return {
    action: new URL(form[1].replace(/&amp;/g, '&'), pageUrl).href,
    fields,
    logout: /name="logout"/.test(html),
  };
}
