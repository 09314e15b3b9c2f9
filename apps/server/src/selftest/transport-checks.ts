import { headerValues, type ProbeClient, type ProbeReply } from './probe-client.js';
import { skip, verdict, type CheckGroup, type CheckResult } from './selftest-types.js';

/** ASVS 3.4.1: at least a year. */
export const HSTS_MIN_MAX_AGE = 31_536_000;

/** The problems with one Strict-Transport-Security value (RFC 6797 §6.1), none when it is strong. */
export function hstsProblems(values: readonly string[]): string[] {
  if (values.length === 0) {
    return [
      `no Strict-Transport-Security header; send "max-age=${HSTS_MIN_MAX_AGE * 2}; includeSubDomains"`,
    ];
  }
  if (values.length > 1) return ['Strict-Transport-Security is sent twice; send it once'];
  const directives = (values[0] ?? '')
    .split(';')
    .map((directive) => directive.trim().toLowerCase())
    .filter(Boolean);
  const problems: string[] = [];
  const maxAge = directives
    .filter((directive) => directive.startsWith('max-age='))
    .map((directive) => Number(directive.slice('max-age='.length).replace(/^"(.*)"$/, '$1')));
  if (maxAge.length !== 1 || !Number.isInteger(maxAge[0])) {
    problems.push(`HSTS has no valid max-age; set max-age to at least ${HSTS_MIN_MAX_AGE}`);
  } else if ((maxAge[0] ?? 0) < HSTS_MIN_MAX_AGE) {
    problems.push(`HSTS max-age is ${maxAge[0]}; set at least ${HSTS_MIN_MAX_AGE}`);
  }
  if (!directives.includes('includesubdomains')) {
    problems.push('HSTS lacks includeSubDomains; add it so no subdomain can be reached over HTTP');
  }
  return problems;
}

/** Where a redirect would take a browser, resolved as a browser resolves it. */
function locationOf(reply: ProbeReply, base: string): URL | undefined {
  const location = reply.headers.location;
  if (location === undefined) return undefined;
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

const isRedirect = (status: number) => status >= 300 && status < 400;

/** Targets and headers an attacker uses to make a redirect leave the site (open redirect). */
const offsiteAttempts: readonly {
  what: string;
  target: string;
  headers?: Record<string, string>;
}[] = [
  { what: 'a foreign Host header', target: '/x', headers: { host: 'evil.example' } },
  { what: 'an absolute-form request line', target: 'http://evil.example/x' },
  { what: 'a network-path target', target: '//evil.example/x' },
  { what: 'a backslash target', target: '/\\evil.example/x' },
  { what: 'an encoded-slash target', target: '/%2F%2Fevil.example/x' },
  { what: 'X-Forwarded-Host', target: '/x', headers: { 'x-forwarded-host': 'evil.example' } },
];

async function offsiteProblems(
  client: ProbeClient,
  plain: boolean,
  base: string,
): Promise<string[]> {
  const problems: string[] = [];
  for (const attempt of offsiteAttempts) {
    const reply = await client
      .request({
        target: attempt.target,
        plain,
        ...(attempt.headers ? { headers: attempt.headers } : {}),
      })
      .catch(() => undefined);
    // A refused or dropped request is no redirect; only where a redirect points matters.
    if (reply === undefined || !isRedirect(reply.status)) continue;
    const target = locationOf(reply, base);
    if (target === undefined || target.origin !== client.origin) {
      problems.push(
        `${plain ? 'HTTP' : 'HTTPS'} with ${attempt.what} redirects to ${reply.headers.location ?? '(nothing)'}; redirect only to ${client.origin}, never to a host taken from the request`,
      );
    }
  }
  return problems;
}

export const transportChecks: CheckGroup = async ({ client, options }) => {
  const results: CheckResult[] = [];

  // ASVS 3.4.1 says "all responses": a document, an API answer and an error answer.
  const samples = await Promise.all(
    ['/', '/api/session', '/api/selftest-no-such-route'].map((target) =>
      client.request({ target }).then((reply) => ({ target, reply })),
    ),
  );
  const hsts = samples.flatMap(({ target, reply }) =>
    hstsProblems(headerValues(reply.headers, 'strict-transport-security')).map(
      (problem) => `${target}: ${problem}`,
    ),
  );
  // The same fix applies to every path: say it once unless the paths differ.
  const unique = [...new Set(hsts.map((problem) => problem.replace(/^[^:]+: /, '')))];
  results.push(
    verdict(
      'hsts',
      'HSTS of at least a year, with subdomains, on every response',
      ['3.4.1'],
      unique.length === 1 && hsts.length === samples.length ? unique : hsts,
      samples[0]?.reply.headers['strict-transport-security'] ?? '',
    ),
  );

  if (options.httpPort === undefined) {
    const why = 'no plain-HTTP port: pass --http-port (80 is assumed only for a URL on port 443)';
    results.push(skip('http-redirect', 'HTTP redirects to HTTPS', ['12.2.1'], why));
    results.push(
      skip('http-api-refused', 'The API over HTTP is refused, not redirected', ['4.1.2'], why),
    );
    results.push(skip('redirect-offsite', 'HTTP redirects never leave the site', ['3.7.2'], why));
    results.push(await httpsOffsite(client));
    return results;
  }

  const httpBase = `http://${options.url.hostname}:${options.httpPort}`;
  const probePath = '/selftest/path?query=1';
  const redirect = await client
    .request({ target: probePath, plain: true })
    .catch((error: unknown) => error as Error);
  const redirectProblems: string[] = [];
  if (redirect instanceof Error) {
    redirectProblems.push(
      `nothing answers plain HTTP on port ${options.httpPort} (${redirect.message}); redirect it to HTTPS, or pass the right --http-port`,
    );
  } else if (!isRedirect(redirect.status)) {
    redirectProblems.push(
      `plain HTTP answers ${redirect.status} instead of redirecting; answer 308 to ${client.origin}`,
    );
  } else {
    const target = locationOf(redirect, httpBase);
    const expected = `${client.origin}${probePath}`;
    if (target?.href !== expected) {
      redirectProblems.push(
        `plain HTTP redirects to ${redirect.headers.location ?? '(nothing)'}; redirect to ${expected} (same path, https)`,
      );
    }
  }
  results.push(
    verdict(
      'http-redirect',
      'HTTP redirects to HTTPS',
      ['12.2.1'],
      redirectProblems,
      redirect instanceof Error ? '' : `${redirect.status} to ${String(redirect.headers.location)}`,
    ),
  );
  results.push(await apiOverHttp(client));
  results.push(
    verdict(
      'redirect-offsite',
      'HTTP redirects never leave the site',
      ['3.7.2'],
      await offsiteProblems(client, true, httpBase),
      `${offsiteAttempts.length} open-redirect attempts stayed on ${client.origin}`,
    ),
  );
  results.push(await httpsOffsite(client));
  return results;
};

/**
 * Only pages a person opens may redirect to HTTPS: an API client configured with an http:// URL
 * should fail at once, not follow a redirect after its request went out in clear.
 */
async function apiOverHttp(client: ProbeClient): Promise<CheckResult> {
  const target = '/api/session';
  const reply = await client
    .request({ target, plain: true })
    .catch((error: unknown) => error as Error);
  const problems: string[] = [];
  if (reply instanceof Error) {
    problems.push(`nothing answers ${target} over plain HTTP (${reply.message})`);
  } else if (isRedirect(reply.status)) {
    problems.push(
      `plain HTTP redirects ${target} (${reply.status} to ${reply.headers.location ?? '(nothing)'}); refuse /api/ over HTTP (403) and redirect only pages`,
    );
  } else if (reply.status < 400) {
    problems.push(
      `plain HTTP answers ${target} with ${reply.status}; refuse /api/ over HTTP (403)`,
    );
  }
  return verdict(
    'http-api-refused',
    'The API over HTTP is refused, not redirected',
    ['4.1.2'],
    problems,
    reply instanceof Error ? '' : `${target} over HTTP: ${reply.status}`,
  );
}

async function httpsOffsite(client: ProbeClient): Promise<CheckResult> {
  return verdict(
    'redirect-offsite-https',
    'HTTPS redirects never leave the site',
    ['3.7.2'],
    await offsiteProblems(client, false, client.origin),
    `${offsiteAttempts.length} open-redirect attempts stayed on ${client.origin}`,
  );
}
