import type {
  CspReportRequest,
  LegacyCspReportBody,
  ReportingApiBody,
} from '@portcullis/contract/security-reports';
import type { Counter } from '../../lib/metrics.js';

/** The fixed event name operators search and alert on; never derived from the report. */
export const CSP_VIOLATION_EVENT = 'csp_violation';

/** One violation as it is logged: every field bounded, no query string, no fragment. */
export interface CspViolation {
  documentUrl: string | undefined;
  blockedUrl: string | undefined;
  directive: string | undefined;
  disposition: string | undefined;
  sourceFile: string | undefined;
  line: number | undefined;
  column: number | undefined;
  sample: string | undefined;
}

export interface SecurityEventLog {
  warn(fields: object, message: string): void;
}

const MAX_URL_LENGTH = 256;
/** Browsers send at most 40 characters of the blocked code; keep no more than that. */
const MAX_SAMPLE_LENGTH = 40;

/**
 * C0 and C1 controls, line and paragraph separators and bidi overrides: a report is text any page
 * (or anyone with curl) writes, and must not forge lines or reorder text in a log viewer.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

function bounded(value: string | null | undefined, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  const clean = value.replace(unsafeCharacters, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * A URL reduced to its origin and path. The query and fragment are dropped because the pages a
 * report names carry secrets there (a password-reset or email-confirmation token). Keywords a
 * browser sends instead of a URL (`inline`, `eval`, `trusted-types-sink`) are kept as they are;
 * other schemes (`data:`, `blob:`) keep only the scheme, since the rest is content.
 */
function withoutSecrets(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (/^[a-z-]{1,32}$/.test(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '[unparsable]';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return url.protocol;
  return bounded(`${url.origin}${url.pathname}`, MAX_URL_LENGTH);
}

function directiveName(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  // `violated-directive` in CSP 2 reports holds the directive and its value: keep the name.
  const name = value.trim().split(/\s+/, 1)[0] ?? '';
  return /^[a-z-]{1,64}$/.test(name) ? name : '[unknown]';
}

function fromReportingApi(reports: ReportingApiBody): CspViolation[] {
  return reports
    .filter((report) => report.type === 'csp-violation')
    .map(({ url, body }) => ({ url, body: body ?? {} }))
    .map(({ url, body }) => ({
      documentUrl: withoutSecrets(body.documentURL ?? url),
      blockedUrl: withoutSecrets(body.blockedURL),
      directive: directiveName(body.effectiveDirective),
      disposition: directiveName(body.disposition),
      sourceFile: withoutSecrets(body.sourceFile),
      line: body.lineNumber ?? undefined,
      column: body.columnNumber ?? undefined,
      sample: bounded(body.sample, MAX_SAMPLE_LENGTH),
    }));
}

function fromLegacyReport(body: LegacyCspReportBody): CspViolation[] {
  const report = body['csp-report'];
  return [
    {
      documentUrl: withoutSecrets(report['document-uri']),
      blockedUrl: withoutSecrets(report['blocked-uri']),
      directive: directiveName(report['effective-directive'] ?? report['violated-directive']),
      disposition: directiveName(report.disposition),
      sourceFile: withoutSecrets(report['source-file']),
      line: report['line-number'] ?? undefined,
      column: report['column-number'] ?? undefined,
      sample: bounded(report['script-sample'], MAX_SAMPLE_LENGTH),
    },
  ];
}

/** Normalises either report format into bounded violations (a pure function, unit-tested). */
export function toViolations(body: CspReportRequest): CspViolation[] {
  return Array.isArray(body) ? fromReportingApi(body) : fromLegacyReport(body);
}

/**
 * A CSP violation on our own pages means either a bug (the SPA needs something the policy
 * forbids) or an injection attempt that the policy stopped: both are security events. Each one is
 * logged under a fixed event name and counted; nothing in a report is trusted beyond that.
 */
export class CspReportService {
  constructor(private readonly deps: { counter: Counter }) {}

  record(body: CspReportRequest, log: SecurityEventLog): number {
    const violations = toViolations(body);
    for (const violation of violations) {
      log.warn({ event: CSP_VIOLATION_EVENT, violation }, 'csp violation reported');
    }
    this.deps.counter.inc(violations.length);
    return violations.length;
  }
}
