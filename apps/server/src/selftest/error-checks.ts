import { CSRF_HEADER } from '@portcullis/contract/auth';
import { BODY_LIMIT_BYTES } from '../app.js';
import { errorCodeOf, type ProbeReply } from './probe-client.js';
import { ProbeBrowser } from './probe-browser.js';
import { verdict, type CheckGroup, type CheckResult } from './selftest-types.js';

/** Fields the error envelope may carry (packages/contract/src/errors.ts `ErrorBody`). */
const envelopeFields = new Set([
  'code',
  'message',
  'requestId',
  'fields',
  'openAt',
  'attemptsRemaining',
]);

/** Traces of internals: a stack frame, a source path, SQL or a driver's words. */
const internals: readonly [RegExp, string][] = [
  [/\bat [\w.<>]+ \(|\bat (file:|node:|\/)/, 'a stack trace'],
  [/node_modules|\/src\/|\.[cm]?[jt]s:\d+/, 'a source path'],
  [/\b(select|insert|update|delete)\b[^"]{0,80}\b(from|into|set|where)\b/i, 'SQL'],
  [/sqlite|postgres|kysely|syntax error at or near|SQLSTATE/i, 'a database name or error'],
  [/SyntaxError|TypeError|ReferenceError|Unexpected token|JSON\.parse/, 'a runtime error'],
];

/** What an error answer reveals of the internals: a stack, a path, SQL, a driver. */
export function internalsIn(reply: ProbeReply): string[] {
  return internals
    .filter(([pattern]) => pattern.test(reply.body))
    .map(([, what]) => `it contains ${what}`);
}

/** What is wrong with an error answer: not the envelope, or more than the envelope. */
export function errorBodyProblems(reply: ProbeReply): string[] {
  const problems = internalsIn(reply);
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    problems.push('it is not JSON');
    return problems;
  }
  const top = typeof parsed === 'object' && parsed !== null ? Object.keys(parsed) : [];
  const error = (parsed as { error?: unknown }).error;
  if (top.length !== 1 || top[0] !== 'error' || typeof error !== 'object' || error === null) {
    problems.push('it is not {"error":{…}} alone');
    return problems;
  }
  const extra = Object.keys(error).filter((field) => !envelopeFields.has(field));
  if (extra.length > 0) problems.push(`it carries ${extra.join(', ')}`);
  const { code, message, requestId } = error as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string' || typeof requestId !== 'string') {
    problems.push('it lacks code, message or requestId');
  }
  return problems;
}

export const errorChecks: CheckGroup = async ({ client }) => {
  const results: CheckResult[] = [];
  const browser = new ProbeBrowser(client);
  const token = await browser.csrfToken();
  const asApp = { origin: browser.origin, [CSRF_HEADER]: token };

  // ASVS 16.5.1: errors a scanner provokes at will say what went wrong, and nothing of how.
  // `fromApp: false`: a proxy may refuse the request before any application sees it (nginx
  // answers a malformed target with its own 400 page); only what that page reveals is judged.
  const provoked: { what: string; reply: ProbeReply; fromApp?: false }[] = [
    {
      what: 'an unknown API path',
      reply: await browser.send('GET', '/api/selftest-no-such-route'),
    },
    {
      what: 'malformed JSON',
      reply: await browser.send('POST', '/api/login', {
        body: '{"email": "a@example.test", "password": ',
        headers: { ...asApp, 'content-type': 'application/json' },
      }),
    },
    {
      what: 'a broken percent-encoding',
      reply: await browser.send('GET', '/api/notes/%E0%A4%A'),
      fromApp: false,
    },
    {
      what: 'a wrongly typed body',
      reply: await browser.send('POST', '/api/login', {
        // A string, not an object literal: `__proto__` in a literal would set the prototype.
        body: '{"email":["x"],"password":{"$ne":null},"__proto__":{"admin":true}}',
        headers: { ...asApp, 'content-type': 'application/json' },
      }),
    },
    {
      what: 'a SQL-shaped identifier',
      reply: await browser.send('GET', "/api/notes/1'%20OR%20'1'='1"),
    },
  ];
  const envelopeProblems = provoked.flatMap(({ what, reply, fromApp }) =>
    (fromApp === false ? internalsIn(reply) : errorBodyProblems(reply)).map(
      (problem) =>
        `the answer to ${what} (${reply.status}): ${problem}; answer {"error":{"code","message","requestId"}} only`,
    ),
  );
  results.push(
    verdict(
      'error-envelope',
      'error answers are the envelope, without internals',
      ['16.5.1'],
      envelopeProblems,
      provoked.map(({ reply }) => `${reply.status} ${errorCodeOf(reply) ?? ''}`.trim()).join(', '),
    ),
  );

  // ASVS 4.1.1: every body says what it is, with its charset.
  const typeProblems = provoked
    .filter(
      ({ reply, fromApp }) =>
        fromApp !== false &&
        !/^application\/json;\s*charset=utf-8$/i.test(reply.headers['content-type'] ?? ''),
    )
    .map(
      ({ what, reply }) =>
        `the answer to ${what} is labelled "${reply.headers['content-type'] ?? '(nothing)'}"; send application/json; charset=utf-8`,
    );
  results.push(
    verdict(
      'response-content-type',
      'JSON answers labelled with their charset',
      ['4.1.1'],
      typeProblems,
    ),
  );

  // ASVS 2.2.1 (input within its limits): a body over the limit is refused before it is read.
  const oversized = await browser.send('POST', '/api/login', {
    body: `{"email":"a@example.test","password":"${'x'.repeat(BODY_LIMIT_BYTES)}"}`,
    headers: { ...asApp, 'content-type': 'application/json' },
  });
  results.push(
    verdict(
      'body-limit',
      `bodies over ${BODY_LIMIT_BYTES / 1024} KiB refused`,
      ['2.2.1'],
      oversized.status === 413
        ? errorBodyProblems(oversized).map((problem) => `the 413 answer: ${problem}`)
        : [
            `a ${Math.round(BODY_LIMIT_BYTES / 1024) + 1} KiB body answered ${oversized.status}; refuse bodies over ${BODY_LIMIT_BYTES} bytes with 413 (nginx: client_max_body_size 1m)`,
          ],
      '413 payload_too_large',
    ),
  );

  // ASVS 13.4.4 and 13.4.1: no TRACE echo, no source-control metadata.
  const marker = `selftest-${Date.now()}`;
  const trace = await client.request({
    method: 'TRACE',
    target: '/',
    headers: { 'x-selftest': marker },
  });
  results.push(
    verdict(
      'trace-disabled',
      'TRACE not supported',
      ['13.4.4'],
      trace.status < 400 || trace.body.includes(marker)
        ? [
            `TRACE / answered ${trace.status}${trace.body.includes(marker) ? ' and echoed the request' : ''}; refuse it`,
          ]
        : [],
      `TRACE answered ${trace.status}`,
    ),
  );
  const leaks: string[] = [];
  for (const target of ['/.git/HEAD', '/.git/config', '/.svn/entries', '/.env']) {
    const reply = await client.request({ target });
    if (reply.status === 200 && /ref: refs\/|\[core\]|^\d+\s*$|^[A-Z_]+=/m.test(reply.body)) {
      leaks.push(
        `${target} is served; keep source-control and environment files out of the web root`,
      );
    }
  }
  results.push(verdict('no-source-metadata', 'no .git, .svn or .env served', ['13.4.1'], leaks));
  return results;
};
