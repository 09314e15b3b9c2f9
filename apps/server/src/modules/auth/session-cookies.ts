import type { FastifyReply } from 'fastify';
import {
  baseCookieOptions,
  clearRefreshCookie,
  cookieNames,
  setRefreshCookie,
} from '../../plugins/cookies.js';
import type { IssuedSession } from '../identity/session-service.js';

/**
 * Puts a session in the browser. Without "remember me" neither cookie gets an expiry: they are
 * session cookies, gone when the browser closes (the server's idle and absolute limits apply as
 * well, since a browser restoring its tabs may keep session cookies). With it, the refresh cookie
 * lives as long as the refresh token. Every sign-in path uses this, so all set the same cookies.
 */
export function setSessionCookies(
  reply: FastifyReply,
  issued: IssuedSession,
  accessTokenTtlSeconds: number,
): void {
  reply.setCookie(cookieNames.access, issued.accessToken, {
    ...baseCookieOptions,
    ...(issued.persistent ? { maxAge: accessTokenTtlSeconds } : {}),
  });
  if (issued.refreshToken !== undefined) {
    setRefreshCookie(reply, issued.refreshToken, {
      ...baseCookieOptions,
      ...(issued.persistent
        ? { maxAge: Math.max(0, Math.round((issued.refreshExpiresAt - Date.now()) / 1000)) }
        : {}),
    });
  }
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(cookieNames.access, baseCookieOptions);
  clearRefreshCookie(reply);
}
