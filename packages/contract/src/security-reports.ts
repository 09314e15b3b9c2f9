import { z } from 'zod';

/**
 * Where browsers send Content-Security-Policy violation reports, named in the document's
 * `Reporting-Endpoints` header and its CSP's `report-to` and `report-uri` directives.
 */
export const CSP_REPORTS_PATH = '/api/security/csp-reports';

/** The name the CSP's `report-to` directive uses for the endpoint above. */
export const CSP_REPORTING_GROUP = 'csp-endpoint';

/** The Reporting API's batch (W3C Reporting API) and the legacy `report-uri` body (CSP 2). */
export const reportingApiContentType = 'application/reports+json';
export const legacyCspReportContentType = 'application/csp-report';

/**
 * Browsers send more fields than these, and may add new ones: unknown keys are dropped, not
 * refused, so a newer browser's reports still count. A value the browser does not know is sent as
 * null (Chromium) or left out. Every kept field is bounded; the server caps them again before
 * logging (a report is attacker-controlled text).
 */
const text = z.string().max(4096).nullish();
const position = z.number().int().nonnegative().max(10_000_000).nullish();

/** `application/reports+json`: an array of reports, of which `csp-violation` ones are kept. */
export const reportingApiReportSchema = z.object({
  type: z.string().max(64),
  url: text,
  body: z
    .object({
      documentURL: text,
      blockedURL: text,
      effectiveDirective: text,
      disposition: text,
      sourceFile: text,
      sample: text,
      statusCode: position,
      lineNumber: position,
      columnNumber: position,
    })
    .nullish(),
});

export const reportingApiBodySchema = z.array(reportingApiReportSchema).max(100);

/** `application/csp-report`: one report, with hyphenated names, inside `csp-report`. */
export const legacyCspReportBodySchema = z.object({
  'csp-report': z.object({
    'document-uri': text,
    'blocked-uri': text,
    'effective-directive': text,
    'violated-directive': text,
    disposition: text,
    'source-file': text,
    'script-sample': text,
    'status-code': position,
    'line-number': position,
    'column-number': position,
  }),
});

/** Either format; which one is decided by the shape, the content type only selects the parser. */
export const cspReportRequestSchema = z.union([reportingApiBodySchema, legacyCspReportBodySchema]);

export type ReportingApiBody = z.infer<typeof reportingApiBodySchema>;
export type LegacyCspReportBody = z.infer<typeof legacyCspReportBodySchema>;
export type CspReportRequest = z.infer<typeof cspReportRequestSchema>;
