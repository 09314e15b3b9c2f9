import type { FastifyInstance } from 'fastify';
import { CSP_REPORTING_GROUP, CSP_REPORTS_PATH } from '@portcullis/contract/security-reports';

/**
 * Powerful features the app never uses, each switched off for the page and anything it embeds, so
 * an injected script or a compromised dependency cannot ask for them (and `browsing-topics`
 * keeps the browser from computing ad topics here). Passkeys are the exception: they are allowed
 * for our own origin only. Only names Chromium recognises are listed: an unknown name makes it
 * log a warning on every load, which the end-to-end tests report. That leaves out, for now,
 * `bluetooth`, `web-share`, `ambient-light-sensor` and `attribution-reporting` (Chromium 156 does
 * not recognise them; Web Bluetooth and Web Share are also not exposed where this policy is off).
 */
const disabledFeatures = [
  'accelerometer',
  'autoplay',
  'browsing-topics',
  'camera',
  'compute-pressure',
  'display-capture',
  'encrypted-media',
  'fullscreen',
  'gamepad',
  'geolocation',
  'gyroscope',
  'hid',
  'identity-credentials-get',
  'idle-detection',
  'local-fonts',
  'magnetometer',
  'microphone',
  'midi',
  'otp-credentials',
  'payment',
  'picture-in-picture',
  'screen-wake-lock',
  'serial',
  'storage-access',
  'sync-xhr',
  'usb',
  'window-management',
  'xr-spatial-tracking',
];

export const permissionsPolicy = [
  ...disabledFeatures.map((feature) => `${feature}=()`),
  'publickey-credentials-create=(self)',
  'publickey-credentials-get=(self)',
].join(', ');

/**
 * Security headers, built once at start-up and copied onto every response (OWASP Secure Headers,
 * ASVS 14.4). Two sets: documents get a CSP that lets the SPA load its own files and nothing else;
 * API responses get `default-src 'none'` and `no-store` since they are never rendered or cached.
 */
const common = {
  // Two years, with subdomains: after the first visit the browser never tries plain HTTP.
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'permissions-policy': permissionsPolicy,
  // COOP + COEP make the page cross-origin isolated: no other site's window can hold a reference
  // to it, and it can load nothing that did not opt in (CORP), so no cross-origin data shares its
  // process for a Spectre-style read. Every file we serve carries CORP `same-origin`.
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-permitted-cross-domain-policies': 'none',
  // OWASP now advises 0: the legacy XSS auditor could be abused to remove legitimate scripts and
  // leak data; modern browsers dropped it and the CSP below is the real defence.
  'x-xss-protection': '0',
} as const;

export const documentCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  // DOM XSS: string assignments to script sinks (innerHTML, script.src, eval-like calls) throw,
  // and no policy may be created to bless one. The SPA renders through React, which needs none.
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
  'upgrade-insecure-requests',
  // report-to for the Reporting API; report-uri for browsers that do not read report-to yet
  // (Firefox). Browsers that understand report-to ignore report-uri, so nothing is sent twice.
  `report-uri ${CSP_REPORTS_PATH}`,
  `report-to ${CSP_REPORTING_GROUP}`,
].join('; ');

/**
 * JSON is never rendered as a page (nosniff, an exact content type), and `default-src 'none'`
 * already forbids every script, so Trusted Types and reporting would add bytes to every answer
 * and nothing else.
 */
export const apiCsp =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const documentHeaders = Object.freeze({
  ...common,
  'content-security-policy': documentCsp,
  // A path is resolved against the document's URL, so reports go to the origin that served it.
  'reporting-endpoints': `${CSP_REPORTING_GROUP}="${CSP_REPORTS_PATH}"`,
});

export const apiHeaders = Object.freeze({
  ...common,
  'content-security-policy': apiCsp,
  'cache-control': 'no-store',
  // Responses differ by Origin when CORS is on; caches must not serve one origin's answer to another.
  vary: 'Origin',
});

/**
 * Chosen by the matched route's surface (plugins/route-policy.ts); unmatched paths get API headers.
 * Every answer also names its request id, the one in the log line and in an error body, so a user
 * or an operator can match a response with the server's log.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.policy.surface === 'api' ? apiHeaders : documentHeaders);
    reply.header('x-request-id', request.id);
    done();
  });
}
