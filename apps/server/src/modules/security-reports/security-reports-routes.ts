import type { FastifyInstance } from 'fastify';
import { noContentSchema } from '@portcullis/contract/common';
import {
  CSP_REPORTS_PATH,
  cspReportRequestSchema,
  legacyCspReportContentType,
  reportingApiContentType,
  type CspReportRequest,
} from '@portcullis/contract/security-reports';
import { MemoryCounterStore } from '../../lib/counter-store.js';
import { metrics } from '../../lib/metrics.js';
import { createClientRateLimit } from '../../plugins/rate-limit.js';
import type { FeatureModule } from '../feature-module.js';
import { CspReportService } from './csp-report-service.js';

/** A report is well under 2 KiB; a browser's batch of a few stays under this. */
export const REPORT_BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Per client, on top of the general limit: a page stuck in a violation loop, or a script posting
 * fake reports, cannot fill the log. In-process and bounded (the counter store caps its keys);
 * with several instances each one limits on its own, which is enough for a log-flood guard.
 */
export const REPORT_RATE_LIMIT = { max: 60, windowSeconds: 60 } as const;

export function registerSecurityReportsRoutes(
  app: FastifyInstance,
  deps: { reports: CspReportService },
): void {
  const store = new MemoryCounterStore(10_000);
  const consumeReportAllowance = createClientRateLimit(store, REPORT_RATE_LIMIT);

  // Its own encapsulated scope, so the report content types are accepted on this route only; the
  // rest of the API still takes application/json and nothing else.
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.addContentTypeParser(
      [reportingApiContentType, legacyCspReportContentType],
      { parseAs: 'string', bodyLimit: REPORT_BODY_LIMIT_BYTES },
      (request, body, parsed) => {
        void parseJson(request, typeof body === 'string' ? body : body.toString('utf8'), parsed);
      },
    );

    scope.post<{ Body: CspReportRequest }>(
      CSP_REPORTS_PATH,
      {
        bodyLimit: REPORT_BODY_LIMIT_BYTES,
        // Browsers send reports on their own, with no cookie-bound CSRF token and, for
        // `report-uri`, in no-cors mode: the route must accept them without one (ADR 012). It
        // changes no state but a log line and a counter, so a forged report gains nothing.
        config: { access: 'public', csrf: false },
        schema: { body: cspReportRequestSchema, response: { 204: noContentSchema } },
        onRequest: consumeReportAllowance,
      },
      async (request, reply) => {
        deps.reports.record(request.body, request.log);
        return reply.code(204).send();
      },
    );

    scope.addHook('onClose', (_instance, closed) => {
      store.close();
      closed();
    });
    done();
  });
}

export const securityReportsModule: FeatureModule = {
  name: 'security-reports',
  register(app) {
    registerSecurityReportsRoutes(app, {
      reports: new CspReportService({ counter: metrics.cspReports }),
    });
  },
};
