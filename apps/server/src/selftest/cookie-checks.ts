import { cookieNames } from '../plugins/cookies.js';
import { ProbeBrowser } from './probe-browser.js';
import { verdict, type CheckGroup, type CheckResult } from './selftest-types.js';

export interface ParsedCookie {
  name: string;
  valueLength: number;
  attributes: Map<string, string>;
  /** A Set-Cookie that deletes the cookie (empty value or Max-Age=0) sets nothing to protect. */
  clearing: boolean;
}

export function parseSetCookie(line: string): ParsedCookie {
  const [pair = '', ...rest] = line.split(';');
  const separator = pair.indexOf('=');
  const name = (separator === -1 ? pair : pair.slice(0, separator)).trim();
  const value = separator === -1 ? '' : pair.slice(separator + 1).trim();
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const equals = part.indexOf('=');
    const key = (equals === -1 ? part : part.slice(0, equals)).trim().toLowerCase();
    attributes.set(key, equals === -1 ? '' : part.slice(equals + 1).trim());
  }
  const expires = Date.parse(attributes.get('expires') ?? '');
  const clearing =
    value === '' ||
    attributes.get('max-age') === '0' ||
    (!Number.isNaN(expires) && expires <= Date.now());
  return { name, valueLength: value.length, attributes, clearing };
}

/**
 * Designed exceptions (ADR 002): the refresh cookie is `__Secure-` with a narrow Path (which
 * `__Host-` forbids), and the provider round-trip cookie is Lax (the provider's redirect back is a
 * cross-site navigation). Everything else is `__Host-`, Strict.
 */
const scopedByDesign = new Set<string>([cookieNames.refresh]);
const laxByDesign = new Set<string>([cookieNames.federation]);

/** The problems of each cookie against ASVS 3.3.1–3.3.5, by requirement. */
export function cookieProblems(lines: readonly string[]): Record<string, string[]> {
  const problems: Record<string, string[]> = {
    '3.3.1': [],
    '3.3.2': [],
    '3.3.3': [],
    '3.3.4': [],
    '3.3.5': [],
  };
  const add = (requirement: string, problem: string) => {
    const list = problems[requirement] ?? [];
    if (!list.includes(problem)) list.push(problem);
    problems[requirement] = list;
  };
  for (const cookie of lines.map(parseSetCookie).filter((parsed) => !parsed.clearing)) {
    const { name, attributes } = cookie;
    if (!attributes.has('secure')) add('3.3.1', `${name} lacks Secure; add it`);
    if (!name.startsWith('__Host-') && !name.startsWith('__Secure-')) {
      add(
        '3.3.1',
        `${name} has neither the __Host- nor the __Secure- prefix; rename it __Host-${name}`,
      );
    }
    if (name.startsWith('__Host-')) {
      if (attributes.has('domain') || attributes.get('path') !== '/') {
        add(
          '3.3.3',
          `${name} is __Host- but has a Domain or a Path other than /; browsers drop it`,
        );
      }
    } else if (!scopedByDesign.has(name)) {
      add('3.3.3', `${name} is not __Host-; rename it __Host-… (Path=/, no Domain)`);
    }
    const sameSite = attributes.get('samesite')?.toLowerCase();
    const wanted = laxByDesign.has(name) ? 'lax' : 'strict';
    if (sameSite !== wanted && sameSite !== 'strict') {
      add(
        '3.3.2',
        `${name} has SameSite=${sameSite ?? '(none)'}; set SameSite=${wanted === 'lax' ? 'Lax' : 'Strict'}`,
      );
    }
    if (!attributes.has('httponly')) add('3.3.4', `${name} lacks HttpOnly; add it`);
    if (name.length + cookie.valueLength > 4096) {
      add('3.3.5', `${name} is over 4096 bytes; browsers drop it`);
    }
  }
  return problems;
}

export const cookieChecks: CheckGroup = async ({ client, options }) => {
  const browser = new ProbeBrowser(client);
  await browser.csrfToken();
  let seen = 'the CSRF cookie (pass --account to check the session cookies too)';
  if (options.account !== undefined) {
    const login = await browser.signIn(options.account);
    seen =
      login.status === 200
        ? 'the CSRF and session cookies'
        : `the CSRF cookie only (sign-in answered ${login.status})`;
  }
  const set = browser.setCookieLines.map(parseSetCookie).filter((cookie) => !cookie.clearing);
  const names = [...new Set(set.map((cookie) => cookie.name))];
  const problems = cookieProblems(browser.setCookieLines);
  // Nothing seen would pass every check below by default: say so instead.
  if (names.length === 0) {
    for (const requirement of Object.keys(problems)) {
      problems[requirement] = [
        'GET /api/csrf set no cookie, so no cookie could be checked; is URL a Portcullis deployment?',
      ];
    }
  }
  const passDetail = `${names.join(', ')} (${seen})`;
  const titles: Record<string, string> = {
    '3.3.1': 'cookies Secure, with a __Host-/__Secure- prefix',
    '3.3.2': 'cookies SameSite=Strict',
    '3.3.3': 'cookies __Host- unless scoped by design',
    '3.3.4': 'cookies HttpOnly',
    '3.3.5': 'cookies within 4096 bytes',
  };
  const ids: Record<string, string> = {
    '3.3.1': 'cookie-secure-prefix',
    '3.3.2': 'cookie-samesite',
    '3.3.3': 'cookie-host-prefix',
    '3.3.4': 'cookie-httponly',
    '3.3.5': 'cookie-size',
  };
  const results: CheckResult[] = Object.keys(titles).map((requirement) =>
    verdict(
      ids[requirement] ?? requirement,
      titles[requirement] ?? requirement,
      [requirement],
      problems[requirement] ?? [],
      passDetail,
    ),
  );
  return results;
};
