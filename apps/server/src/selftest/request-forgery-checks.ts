import { CSRF_HEADER } from '@portcullis/contract/auth';
import { cookieNames } from '../plugins/cookies.js';
import { errorCodeOf, type ProbeReply } from './probe-client.js';
import { ProbeBrowser } from './probe-browser.js';
import { fail, verdict, type CheckGroup, type CheckResult } from './selftest-types.js';

const foreignOrigin = 'https://evil.example';

/** Whether an answer lets `origin` read it with CORS (reflected, `*`, or `null`). */
function corsGrant(reply: ProbeReply, origin: string): string | undefined {
  const allowed = reply.headers['access-control-allow-origin'];
  if (allowed === undefined) return undefined;
  if (allowed === origin || allowed === '*' || allowed === 'null') return allowed;
  return undefined;
}

const describe = (reply: ProbeReply) => `${reply.status} ${errorCodeOf(reply) ?? ''}`.trim();

export const requestForgeryChecks: CheckGroup = async ({ client }) => {
  const results: CheckResult[] = [];

  // ASVS 3.4.2: a foreign or `null` Origin is never granted, neither by a preflight nor on a read.
  const corsProblems: string[] = [];
  for (const origin of [foreignOrigin, 'null']) {
    const preflight = await client.request({
      method: 'OPTIONS',
      target: '/api/notes',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': `content-type, ${CSRF_HEADER}`,
      },
    });
    const read = await client.request({ target: '/api/session', headers: { origin } });
    for (const [what, reply] of [
      ['a preflight', preflight],
      ['a read', read],
    ] as const) {
      const granted = corsGrant(reply, origin);
      if (granted !== undefined) {
        corsProblems.push(
          `${what} from Origin ${origin} gets Access-Control-Allow-Origin: ${granted}; allow only your own origins (check CORS_ORIGINS)`,
        );
      }
    }
  }
  results.push(
    verdict(
      'cors-foreign-origin',
      'CORS refuses a foreign and a null Origin',
      ['3.4.2'],
      corsProblems,
      `${foreignOrigin} and null get no Access-Control-Allow-Origin`,
    ),
  );

  // ASVS 3.5.1: the control request (as the app sends it) must work, each altered copy must not.
  const browser = new ProbeBrowser(client);
  const token = await browser.csrfToken();
  const control = await browser.send('POST', '/api/logout', {
    json: {},
    headers: { origin: browser.origin, [CSRF_HEADER]: token },
  });
  if (control.status >= 400) {
    results.push(
      fail(
        'csrf-refusal',
        'CSRF: unsafe requests without the token or from another origin refused',
        ['3.5.1'],
        `a correct request (POST /api/logout with Origin ${browser.origin} and the token) was refused with ${describe(control)}; is ${browser.origin} the PUBLIC_ORIGIN? Nothing else can be judged`,
      ),
    );
  } else {
    // Each variant gets a token for the binding the browser holds at that moment: a successful
    // logout (the control, or a variant that wrongly succeeds) replaces the binding, and a stale
    // token would make every later variant fail for that reason instead of its own.
    type Headers = (token: string) => Record<string, string>;
    const variants: { what: string; target: string; headers: Headers }[] = [
      { what: 'no token', target: '/api/logout', headers: () => ({ origin: browser.origin }) },
      {
        what: 'a wrong token',
        target: '/api/logout',
        headers: (fresh) => ({
          origin: browser.origin,
          [CSRF_HEADER]: `${fresh.slice(0, -1)}${fresh.endsWith('A') ? 'B' : 'A'}`,
        }),
      },
      {
        what: `Origin ${foreignOrigin}`,
        target: '/api/logout',
        headers: (fresh) => ({ origin: foreignOrigin, [CSRF_HEADER]: fresh }),
      },
      {
        what: 'Origin null',
        target: '/api/logout',
        headers: (fresh) => ({ origin: 'null', [CSRF_HEADER]: fresh }),
      },
      {
        what: 'no Origin nor Referer',
        target: '/api/logout',
        headers: (fresh) => ({ [CSRF_HEADER]: fresh }),
      },
      // Every spelling that a router or proxy might take for the same route (ADR 010).
      ...[
        '/API/notes',
        '//api/notes',
        '/api/./notes',
        '/api/%6Eotes',
        '/api/notes/',
        '/api//notes',
      ].map((target) => ({
        what: `no token at ${target}`,
        target,
        headers: () => ({ origin: browser.origin }),
      })),
    ];
    const problems: string[] = [];
    for (const variant of variants) {
      const reply = await browser.send('POST', variant.target, {
        // A body the route would accept: what it answers then is the CSRF check's doing alone.
        json: variant.target === '/api/logout' ? {} : { title: 'selftest', body: 'selftest' },
        headers: variant.headers(await browser.csrfToken()),
      });
      if (reply.status !== 403) {
        problems.push(
          `POST ${variant.target} with ${variant.what} answered ${describe(reply)}; refuse it with 403 csrf_failed`,
        );
      }
    }
    results.push(
      verdict(
        'csrf-refusal',
        'CSRF: unsafe requests without the token or from another origin refused',
        ['3.5.1'],
        problems,
        `${variants.length} forged variants refused with 403; the correct request answered ${control.status}`,
      ),
    );
  }

  // ASVS 3.5.2: a CORS-safelisted (form-like) request cannot reach an unsafe route.
  const safelisted: string[] = [];
  for (const contentType of [
    'application/x-www-form-urlencoded',
    'text/plain',
    'multipart/form-data; boundary=x',
  ]) {
    const reply = await browser.send('POST', '/api/login', {
      body: 'email=a%40example.test&password=x',
      headers: {
        origin: browser.origin,
        [CSRF_HEADER]: await browser.csrfToken(),
        'content-type': contentType,
      },
    });
    if (reply.status !== 415) {
      safelisted.push(
        `POST /api/login as ${contentType} answered ${describe(reply)}; refuse every type but application/json with 415`,
      );
    }
  }
  results.push(
    verdict(
      'content-type-refusal',
      'form and text bodies refused (JSON only)',
      ['3.5.2', '2.2.1'],
      safelisted,
      'form, multipart and text/plain bodies refused with 415',
    ),
  );
  // The browser's cookies are not needed further; drop the binding the checks created.
  browser.cookies.delete(cookieNames.csrf);
  return results;
};
