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

const documentDirectives = [
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
];

export const documentCsp = documentDirectives.join('; ');

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

/**
 * The interactive API reference (plugins/api-reference.ts; development only unless API_REFERENCE
 * is on) is someone else's app, a 5 MB Vue bundle that cannot run under the document policy. It
 * gets its own, on its three routes only, differing from `documentCsp` in three places:
 * - script-src also allows the page's one inline script (the settings the bundle starts with) by
 *   its hash: not 'unsafe-inline', so an injected script still does not run, and not 'unsafe-eval'.
 *   (zod, inside the bundle, tries `new Function` once per load to see whether it may compile
 *   validators; refused, it interprets them, and the browser reports the refusal: one expected
 *   report per visit, the policy working.)
 * - style-src 'unsafe-inline': the bundle writes <style> elements at run time, more of them as
 *   panels open, some built from its settings and some unable to carry a nonce, and sets style
 *   attributes; none is known in advance, so no hash or nonce can name them. Styles run no code,
 *   and the page shows nothing but the public API document and the answers to its user's requests.
 * - no Trusted Types: the bundle assigns HTML strings outside any policy, and the only policy it
 *   creates (Vue's `vue`) passes every string through, so allowing it would protect nothing.
 * Everything else stands: nothing from another origin (the page is configured to need no font
 * CDN, proxy or hosted client), no plugins, no <base>, no framing, violations reported.
 */
// The page as @scalar/fastify-api-reference 1.76.3 writes it for the settings in api-reference.ts;
// integration/api-reference.test.ts hashes the served page and names the new value when it changes.
const API_REFERENCE_SCRIPT_HASH = "'sha256-+efYHOabpiuw7YBtXPQ+zy+GvjvJRzvR10d2kAYrFK0='";

/** The three changes, made to the document policy itself so nothing else can drift apart. */
const apiReferenceChanges: Readonly<Record<string, string | undefined>> = {
  "script-src 'self'": `script-src 'self' ${API_REFERENCE_SCRIPT_HASH}`,
  "style-src 'self'": "style-src 'self' 'unsafe-inline'",
  "require-trusted-types-for 'script'": undefined,
  "trusted-types 'none'": undefined,
};

export const apiReferenceCsp = documentDirectives
  .flatMap((directive) => {
    if (!(directive in apiReferenceChanges)) return [directive];
    const changed = apiReferenceChanges[directive];
    return changed === undefined ? [] : [changed];
  })
  .join('; ');

export const apiReferenceHeaders = Object.freeze({
  ...documentHeaders,
  'content-security-policy': apiReferenceCsp,
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
