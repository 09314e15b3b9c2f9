import type { FastifyInstance } from 'fastify';

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
  'permissions-policy':
    'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()',
  'cross-origin-opener-policy': 'same-origin',
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
  'upgrade-insecure-requests',
].join('; ');

export const apiCsp =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const documentHeaders = Object.freeze({ ...common, 'content-security-policy': documentCsp });

export const apiHeaders = Object.freeze({
  ...common,
  'content-security-policy': apiCsp,
  'cache-control': 'no-store',
  // Responses differ by Origin when CORS is on; caches must not serve one origin's answer to another.
  vary: 'Origin',
});

/** Chosen by the matched route's surface (plugins/route-policy.ts); unmatched paths get API headers. */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.policy.surface === 'api' ? apiHeaders : documentHeaders);
    done();
  });
}
