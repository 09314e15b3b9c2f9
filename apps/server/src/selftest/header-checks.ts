import { apiHeaders, documentHeaders } from '../plugins/security-headers.js';
import { headerValues, type ProbeReply } from './probe-client.js';
import { verdict, type CheckGroup, type CheckResult } from './selftest-types.js';

/**
 * The requirement each header proves. The expected values are not written here: they are the
 * server's own (plugins/security-headers.ts), so the self-test and the server cannot drift apart.
 * HSTS has its own check (a deployment may choose any max-age of a year or more).
 */
const requirementOf: Record<string, readonly string[]> = {
  'content-security-policy': ['3.4.3', '3.4.6', '3.4.7'],
  'x-content-type-options': ['3.4.4'],
  'referrer-policy': ['3.4.5'],
  'x-frame-options': ['3.4.6'],
  'reporting-endpoints': ['3.4.7'],
  'cache-control': ['14.3.2'],
};
const sectionWide = ['V3.4'];

type Surface = 'document' | 'api';

export const headerChecks: CheckGroup = async ({ client }) => {
  const replies: Record<Surface, ProbeReply> = {
    document: await client.request({ target: '/' }),
    api: await client.request({ target: '/api/session' }),
  };
  const expected: Record<Surface, Readonly<Record<string, string>>> = {
    document: documentHeaders,
    api: apiHeaders,
  };
  const names = [...new Set([...Object.keys(documentHeaders), ...Object.keys(apiHeaders)])].filter(
    (name) => name !== 'strict-transport-security',
  );
  const results: CheckResult[] = names.map((name) => {
    const problems: string[] = [];
    for (const surface of ['document', 'api'] as const) {
      const want = expected[surface][name];
      if (want === undefined) continue;
      const got = headerValues(replies[surface].headers, name);
      const where = surface === 'document' ? 'pages (/)' : 'the API (/api/session)';
      if (got.length === 0) problems.push(`${name} is missing on ${where}; set "${want}"`);
      else if (got.length > 1 || got[0] !== want) {
        problems.push(`${name} on ${where} is "${got.join(', ')}"; set exactly "${want}"`);
      }
    }
    return verdict(
      `header-${name}`,
      `${name} as the server defines it`,
      requirementOf[name] ?? sectionWide,
      problems,
    );
  });

  // ASVS 13.4.6: no product or version a scanner could look up.
  const leaks: string[] = [];
  for (const reply of Object.values(replies)) {
    const server = headerValues(reply.headers, 'server').join(', ');
    if (/\d/.test(server)) {
      leaks.push(`Server: ${server} names a version; hide it (nginx: server_tokens off)`);
    }
    if (reply.headers['x-powered-by'] !== undefined) {
      leaks.push(`X-Powered-By: ${String(reply.headers['x-powered-by'])} is sent; remove it`);
    }
  }
  results.push(
    verdict(
      'no-version-banner',
      'no software versions in headers',
      ['13.4.6'],
      [...new Set(leaks)],
    ),
  );
  return results;
};
