import { accountChecks } from './account-checks.js';
import { cookieChecks } from './cookie-checks.js';
import { errorChecks } from './error-checks.js';
import { headerChecks } from './header-checks.js';
import { ProbeClient } from './probe-client.js';
import { requestForgeryChecks } from './request-forgery-checks.js';
import { securityTxtChecks } from './security-txt-checks.js';
import {
  fail,
  type CheckGroup,
  type CheckResult,
  type CheckStatus,
  type SelftestOptions,
} from './selftest-types.js';
import { tlsChecks } from './tls-checks.js';
import { tokenChecks } from './token-checks.js';
import { transportChecks } from './transport-checks.js';

/**
 * In this order: transport first (nothing else means much without it), the lockout last (it
 * locks the account the cookie and token checks sign in with).
 */
export const checkGroups: readonly { name: string; run: CheckGroup }[] = [
  { name: 'tls', run: tlsChecks },
  { name: 'transport', run: transportChecks },
  { name: 'headers', run: headerChecks },
  { name: 'cookies', run: cookieChecks },
  { name: 'request-forgery', run: requestForgeryChecks },
  { name: 'errors', run: errorChecks },
  { name: 'tokens', run: tokenChecks },
  { name: 'security-txt', run: securityTxtChecks },
  { name: 'account', run: accountChecks },
];

export interface SelftestReport {
  target: string;
  results: CheckResult[];
  summary: Record<CheckStatus, number>;
}

export async function runSelftest(options: SelftestOptions): Promise<SelftestReport> {
  const client = new ProbeClient(options);
  const results: CheckResult[] = [];
  for (const group of checkGroups) {
    try {
      results.push(...(await group.run({ options, client })));
    } catch (error) {
      // A deployment that drops a connection or times out fails the group; the others still run.
      results.push(
        fail(
          `${group.name}-unreachable`,
          `${group.name} checks`,
          [],
          `could not complete: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  }
  const summary: Record<CheckStatus, number> = { pass: 0, fail: 0, skip: 0 };
  for (const result of results) summary[result.status] += 1;
  return { target: options.url.origin, results, summary };
}

const label: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

/** One line per check, then the summary; `escape` keeps a hostile server's text off the terminal. */
export function formatReport(report: SelftestReport, escape: (text: string) => string): string {
  const lines = report.results.map((result) => {
    const asvs = result.asvs.length === 0 ? 'ASVS -' : `ASVS ${result.asvs.join(', ')}`;
    const detail = result.detail === '' ? '' : `: ${result.detail}`;
    return `${label[result.status]}  ${result.id}  (${asvs})  ${result.title}${detail}`;
  });
  const { pass, fail: failed, skip } = report.summary;
  lines.push(
    '',
    `${report.target}: ${pass} passed, ${failed} failed, ${skip} skipped of ${report.results.length} checks`,
  );
  return `${lines.map(escape).join('\n')}\n`;
}
