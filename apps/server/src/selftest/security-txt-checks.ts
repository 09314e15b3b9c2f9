import { SECURITY_TXT_PATH } from '../modules/security-txt/security-txt-routes.js';
import { verdict, type CheckGroup } from './selftest-types.js';

/** RFC 9116 §2.5.5: Expires should be less than a year ahead; a day of slack for clocks. */
const MAX_EXPIRES_MS = 366 * 86_400_000;

/** The problems of a security.txt body against RFC 9116 (§2.5), for the file at `origin`. */
export function securityTxtProblems(body: string, origin: string, now = Date.now()): string[] {
  const fields = new Map<string, string[]>();
  for (const line of body.split(/\r?\n/)) {
    const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line.trim());
    if (match === null) continue;
    const name = (match[1] ?? '').toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), (match[2] ?? '').trim()]);
  }
  const problems: string[] = [];
  const contacts = fields.get('contact') ?? [];
  if (contacts.length === 0) problems.push('no Contact field; set SECURITY_CONTACT');
  for (const contact of contacts) {
    if (!/^(mailto:|https:|tel:)/.test(contact)) {
      problems.push(`Contact "${contact}" is not a mailto:, https: or tel: URI`);
    }
  }
  const expires = fields.get('expires') ?? [];
  if (expires.length !== 1) problems.push('there must be exactly one Expires field');
  else {
    const at = Date.parse(expires[0] ?? '');
    if (Number.isNaN(at)) problems.push(`Expires "${expires[0]}" is not a date`);
    else if (at <= now) problems.push(`the file expired on ${expires[0]}; renew it`);
    else if (at - now > MAX_EXPIRES_MS)
      problems.push('Expires is more than a year ahead; keep it under a year');
  }
  const canonical = `${origin}${SECURITY_TXT_PATH}`;
  if (!(fields.get('canonical') ?? []).includes(canonical)) {
    problems.push(`no Canonical: ${canonical}; the file must name where it lives`);
  }
  if ((fields.get('preferred-languages') ?? []).length === 0) {
    problems.push('no Preferred-Languages field; add one (e.g. "en")');
  }
  return problems;
}

export const securityTxtChecks: CheckGroup = async ({ client }) => {
  const reply = await client.request({ target: SECURITY_TXT_PATH });
  const problems: string[] = [];
  if (reply.status !== 200) {
    problems.push(
      `${SECURITY_TXT_PATH} answered ${reply.status}; set SECURITY_CONTACT (e.g. mailto:security@your.domain) so the server publishes it`,
    );
  } else {
    if (!/^text\/plain;\s*charset=utf-8$/i.test(reply.headers['content-type'] ?? '')) {
      problems.push(
        `it is served as "${reply.headers['content-type'] ?? ''}"; serve text/plain; charset=utf-8`,
      );
    }
    problems.push(...securityTxtProblems(reply.body, client.origin));
  }
  return [
    verdict(
      'security-txt',
      'security.txt published (RFC 9116)',
      [],
      problems,
      'Contact, Expires, Preferred-Languages, Canonical',
    ),
  ];
};
