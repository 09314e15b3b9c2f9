import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER, csrfResponseSchema } from '@portcullis/contract/auth';
import { AppError } from '../lib/app-error.js';
import { newBearerSecret } from '../lib/random.js';
import { baseCookieOptions, cookieNames } from './cookies.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Gives the browser a new CSRF binding; called at login and logout so old tokens die. */
    rotateCsrfBinding(): void;
  }
}

/** RFC 9110 §9.2.1: only these are safe; any other method (PUT, PROPFIND, …) is checked. */
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence in two layers (OWASP CSRF Prevention Cheat Sheet):
 * 1. Origin check: an unsafe request must come from our own origin or an allow-listed one.
 * 2. A signed, session-bound token: the browser holds a random binding in an HttpOnly `__Host-`
 *    cookie, and the token is HMAC(secret, binding). A forged request cannot read the cookie nor
 *    compute the HMAC, and the binding is replaced at login and logout, so a token obtained
 *    before (login CSRF, fixation) is useless after.
 */
export function registerCsrf(
  app: FastifyInstance,
  options: {
    /**
     * One secret, or several newest first: the first signs new tokens and every one verifies, so
     * CSRF_SECRET rotates without refusing the tokens open pages already hold.
     */
    secret: string | readonly string[];
    /** The origin users are meant to open; the first allowed origin. */
    publicOrigin: string;
    allowedOrigins: readonly string[];
    onFailure: (request: FastifyRequest, reason: string) => void;
  },
): void {
  const allowed = new Set(options.allowedOrigins);
  const secrets: readonly string[] =
    typeof options.secret === 'string' ? [options.secret] : options.secret;
  const [signingSecret] = secrets;
  if (signingSecret === undefined) throw new Error('registerCsrf: no secret');
  const tokenUnder = (secret: string, binding: string) =>
    createHmac('sha256', secret).update(binding).digest('base64url');
  const tokenFor = (binding: string) => tokenUnder(signingSecret, binding);

  app.decorateReply('rotateCsrfBinding', function rotateCsrfBinding(this: FastifyReply) {
    this.setCookie(cookieNames.csrf, newBearerSecret(), baseCookieOptions);
  });

  app.get(
    '/api/csrf',
    { config: { access: 'public' }, schema: { response: { 200: csrfResponseSchema } } },
    (request, reply) => {
      let binding = request.cookies[cookieNames.csrf];
      if (binding === undefined || binding.length < 32) {
        binding = newBearerSecret();
        reply.setCookie(cookieNames.csrf, binding, baseCookieOptions);
      }
      return { csrfToken: tokenFor(binding) };
    },
  );

  const fail = (request: FastifyRequest, reason: string): AppError => {
    options.onFailure(request, reason);
    return new AppError('csrf_failed');
  };

  app.addHook('onRequest', (request, _reply, done) => {
    // Every unsafe method on every path, matched or not; only a route's explicit `csrf: false`
    // (see plugins/route-policy.ts) exempts it.
    if (safeMethods.has(request.method) || !request.policy.csrf) {
      done();
      return;
    }
    const origin = requestOrigin(request);
    if (origin === undefined || !allowed.has(origin)) {
      const error = fail(request, origin === undefined ? 'origin missing' : 'origin not allowed');
      // The app itself, opened under another name for this server (https://127.0.0.1:8443 for
      // https://localhost:8443): say which address works. A cross-site page still gets csrf_failed.
      const openedHere = origin === `${request.protocol}://${request.host}`;
      done(openedHere ? new AppError('wrong_origin', { openAt: options.publicOrigin }) : error);
      return;
    }
    const binding = request.cookies[cookieNames.csrf];
    const sent = request.headers[CSRF_HEADER];
    if (binding === undefined || typeof sent !== 'string') {
      done(fail(request, 'token missing'));
      return;
    }
    const actual = Buffer.from(sent);
    // Every secret is tried (no early exit), so the time taken says nothing about which matched.
    let matched = false;
    for (const secret of secrets) {
      const expected = Buffer.from(tokenUnder(secret, binding));
      if (actual.length === expected.length && timingSafeEqual(actual, expected)) matched = true;
    }
    if (!matched) {
      done(fail(request, 'token mismatch'));
      return;
    }
    done();
  });
}

/** Origin, or the origin of Referer when a browser omitted Origin; undefined when neither. */
function requestOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (origin !== undefined) return origin;
  const referer = request.headers.referer;
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}
