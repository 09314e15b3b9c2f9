import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignInResponse } from '@portcullis/contract/second-factors';
import { newBearerSecret } from '../../lib/random.js';
import { baseCookieOptions, cookieNames } from '../../plugins/cookies.js';
import type { SignInResult } from './auth-service.js';
import { setSessionCookies } from './session-cookies.js';

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis). */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

/**
 * A long-lived random device id (not the IP, which changes): a sign-in from an id this account
 * has not seen before is reported to its owner. A new one when the browser has none.
 */
export function deviceIdOf(request: FastifyRequest): string {
  const known = request.cookies[cookieNames.device];
  return known !== undefined && /^[\w-]{43}$/.test(known) ? known : newBearerSecret();
}

/**
 * The answer to every sign-in step (password, second factor, passkey): either the session's
 * cookies and a new CSRF binding, or, when a second factor is owed, the pending state's cookie
 * and the factors to continue with. One function, so every way in sets the same cookies.
 */
export function answerSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  result: SignInResult,
  deviceId: string,
  accessTokenTtlSeconds: number,
): SignInResponse {
  if (deviceId !== request.cookies[cookieNames.device]) {
    reply.setCookie(cookieNames.device, deviceId, {
      ...baseCookieOptions,
      maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
    });
  }
  if (result.kind === 'pending') {
    reply.setCookie(cookieNames.pending, result.token, {
      ...baseCookieOptions,
      maxAge: Math.max(1, Math.round((result.expiresAt - Date.now()) / 1000)),
    });
    return {
      secondFactor: {
        methods: result.methods,
        expiresAt: new Date(result.expiresAt).toISOString(),
      },
    };
  }
  if (request.cookies[cookieNames.pending] !== undefined) {
    reply.clearCookie(cookieNames.pending, baseCookieOptions);
  }
  setSessionCookies(reply, result, accessTokenTtlSeconds);
  reply.rotateCsrfBinding();
  return { user: result.user };
}
