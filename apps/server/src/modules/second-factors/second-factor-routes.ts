import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idParamsSchema, noContentSchema } from '@portcullis/contract/common';
import {
  confirmTotpBodySchema,
  factorsResponseSchema,
  passkeyRegisteredResponseSchema,
  passkeyReauthenticateBodySchema,
  passkeySignInBodySchema,
  reauthenticateBodySchema,
  recoveryCodesResponseSchema,
  registerPasskeyBodySchema,
  renamePasskeyBodySchema,
  secondFactorBodySchema,
  signInResponseSchema,
  totpEnrolmentResponseSchema,
  webAuthnOptionsResponseSchema,
  type ConfirmTotpBody,
  type PasskeyReauthenticateBody,
  type PasskeySignInBody,
  type ReauthenticateBody,
  type RegisterPasskeyBody,
  type RenamePasskeyBody,
  type SecondFactorBody,
} from '@portcullis/contract/second-factors';
import { sessionResponseSchema } from '@portcullis/contract/auth';
import { requestContext } from '../../lib/request-context.js';
import { requireAuth } from '../../plugins/access-control.js';
import { baseCookieOptions, cookieNames } from '../../plugins/cookies.js';
import type { AuthService } from '../auth/auth-service.js';
import { setSessionCookies } from '../auth/session-cookies.js';
import { answerSignIn, deviceIdOf } from '../auth/sign-in-answer.js';
import type { FeatureModule } from '../feature-module.js';
import { WEBAUTHN_CHALLENGE_TTL_MS, type SecondFactorService } from './second-factor-service.js';

const emptyBody = z.strictObject({}).nullish();

/**
 * The second step of a sign-in, passkey sign-in, the user's own factors, and step-up. Every
 * enrolment route is reachable before a required factor exists (`allowWithoutSecondFactor`);
 * adding, removing and regenerating need a recent authentication (ADR 015).
 */
export function registerSecondFactorRoutes(
  app: FastifyInstance,
  deps: { auth: AuthService; factors: SecondFactorService; accessTokenTtlSeconds: number },
): void {
  const { auth, factors } = deps;
  const ttl = deps.accessTokenTtlSeconds;

  /** The WebAuthn challenge lives server-side; the browser holds only a cookie naming it. */
  const holdChallenge = (reply: FastifyReply, token: string) => {
    reply.setCookie(cookieNames.webauthn, token, {
      ...baseCookieOptions,
      maxAge: WEBAUTHN_CHALLENGE_TTL_MS / 1000,
    });
  };
  const takeChallenge = (request: FastifyRequest, reply: FastifyReply) => {
    const token = request.cookies[cookieNames.webauthn];
    if (token !== undefined) reply.clearCookie(cookieNames.webauthn, baseCookieOptions);
    return token;
  };

  // The sign-in's second step.

  app.post<{ Body: SecondFactorBody }>(
    '/api/login/second-factor',
    {
      config: { access: 'public' },
      schema: { body: secondFactorBodySchema, response: { 200: signInResponseSchema } },
    },
    async (request, reply) => {
      const deviceId = deviceIdOf(request);
      const result = await auth.completeWithCode(
        request.cookies[cookieNames.pending],
        request.body,
        requestContext(request),
        deviceId,
      );
      return answerSignIn(request, reply, result, deviceId, ttl);
    },
  );

  // Passkey sign-in: alone (discoverable, the email field's autofill) or as the second step.
  app.post(
    '/api/login/passkey/options',
    {
      config: { access: 'public' },
      schema: { body: emptyBody, response: { 200: webAuthnOptionsResponseSchema } },
    },
    async (request, reply) => {
      const pending = request.cookies[cookieNames.pending];
      const userId = pending === undefined ? undefined : await auth.pendingUser(pending);
      const { options, token } = await factors.authenticationOptions(userId, 'sign-in');
      holdChallenge(reply, token);
      return { options };
    },
  );

  app.post<{ Body: PasskeySignInBody }>(
    '/api/login/passkey',
    {
      config: { access: 'public' },
      schema: { body: passkeySignInBodySchema, response: { 200: signInResponseSchema } },
    },
    async (request, reply) => {
      const deviceId = deviceIdOf(request);
      const result = await auth.signInWithPasskey(
        {
          response: request.body.response,
          challengeToken: takeChallenge(request, reply),
          pendingToken: request.cookies[cookieNames.pending],
          remember: request.body.remember === true,
        },
        requestContext(request),
        deviceId,
      );
      return answerSignIn(request, reply, result, deviceId, ttl);
    },
  );

  // The user's own factors.

  const enrolment = {
    access: 'authenticated',
    allowWithoutSecondFactor: true,
    recentAuthentication: true,
  } as const;

  app.get(
    '/api/account/factors',
    {
      config: { access: 'authenticated', allowWithoutSecondFactor: true },
      schema: { response: { 200: factorsResponseSchema } },
    },
    async (request) => {
      const user = requireAuth(request);
      return factors.view(user.userId, user.role);
    },
  );

  app.post(
    '/api/account/totp',
    {
      config: enrolment,
      schema: { body: emptyBody, response: { 200: totpEnrolmentResponseSchema } },
    },
    async (request) => {
      const user = requireAuth(request);
      const started = await factors.startTotp({ id: user.userId, email: user.email });
      return { ...started, expiresAt: new Date(started.expiresAt).toISOString() };
    },
  );

  app.post<{ Body: ConfirmTotpBody }>(
    '/api/account/totp/confirm',
    {
      config: enrolment,
      schema: { body: confirmTotpBodySchema, response: { 200: recoveryCodesResponseSchema } },
    },
    async (request) => {
      const user = requireAuth(request);
      const recoveryCodes = await factors.confirmTotp(
        { id: user.userId, email: user.email },
        request.body.code,
        requestContext(request),
      );
      return { recoveryCodes };
    },
  );

  app.delete(
    '/api/account/totp',
    {
      config: { access: 'authenticated', recentAuthentication: true },
      schema: { response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      const user = requireAuth(request);
      await factors.removeTotp(
        { id: user.userId, email: user.email, role: user.role },
        requestContext(request),
      );
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/account/recovery-codes',
    {
      config: { access: 'authenticated', recentAuthentication: true },
      schema: { body: emptyBody, response: { 200: recoveryCodesResponseSchema } },
    },
    async (request) => {
      const user = requireAuth(request);
      return {
        recoveryCodes: await factors.regenerateRecoveryCodes(
          { id: user.userId, email: user.email },
          requestContext(request),
        ),
      };
    },
  );

  app.post(
    '/api/account/passkeys/options',
    {
      config: enrolment,
      schema: { body: emptyBody, response: { 200: webAuthnOptionsResponseSchema } },
    },
    async (request, reply) => {
      const user = requireAuth(request);
      const { options, token } = await factors.registrationOptions({
        id: user.userId,
        email: user.email,
        name: user.name,
      });
      holdChallenge(reply, token);
      return { options };
    },
  );

  app.post<{ Body: RegisterPasskeyBody }>(
    '/api/account/passkeys',
    {
      config: enrolment,
      schema: {
        body: registerPasskeyBodySchema,
        response: { 201: passkeyRegisteredResponseSchema },
      },
    },
    async (request, reply) => {
      const user = requireAuth(request);
      const registered = await factors.registerPasskey(
        { id: user.userId, email: user.email },
        {
          name: request.body.name,
          response: request.body.response,
          challengeToken: takeChallenge(request, reply),
        },
        requestContext(request),
      );
      return reply.code(201).send(registered);
    },
  );

  app.patch<{ Params: { id: string }; Body: RenamePasskeyBody }>(
    '/api/account/passkeys/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        params: idParamsSchema,
        body: renamePasskeyBodySchema,
        response: { 204: noContentSchema },
      },
    },
    async (request, reply) => {
      await factors.renamePasskey(
        requireAuth(request).userId,
        request.params.id,
        request.body.name,
      );
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/account/passkeys/:id',
    {
      config: { access: 'authenticated', recentAuthentication: true },
      schema: { params: idParamsSchema, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      const user = requireAuth(request);
      await factors.removePasskey(
        { id: user.userId, email: user.email, role: user.role },
        request.params.id,
        requestContext(request),
      );
      return reply.code(204).send();
    },
  );

  // Step-up: proving it is you again renews the session (new id, tokens, CSRF binding).

  app.post<{ Body: ReauthenticateBody }>(
    '/api/session/reauthenticate',
    {
      config: { access: 'authenticated', allowWithoutSecondFactor: true, allowUnverified: true },
      schema: { body: reauthenticateBodySchema, response: { 200: sessionResponseSchema } },
    },
    async (request, reply) => {
      const issued = await auth.stepUp(requireAuth(request), request.body, requestContext(request));
      setSessionCookies(reply, issued, ttl);
      reply.rotateCsrfBinding();
      return { user: issued.user };
    },
  );

  app.post(
    '/api/session/reauthenticate/passkey/options',
    {
      config: { access: 'authenticated', allowWithoutSecondFactor: true, allowUnverified: true },
      schema: { body: emptyBody, response: { 200: webAuthnOptionsResponseSchema } },
    },
    async (request, reply) => {
      const { options, token } = await factors.authenticationOptions(
        requireAuth(request).userId,
        'reauthenticate',
      );
      holdChallenge(reply, token);
      return { options };
    },
  );

  app.post<{ Body: PasskeyReauthenticateBody }>(
    '/api/session/reauthenticate/passkey',
    {
      config: { access: 'authenticated', allowWithoutSecondFactor: true, allowUnverified: true },
      schema: { body: passkeyReauthenticateBodySchema, response: { 200: sessionResponseSchema } },
    },
    async (request, reply) => {
      const issued = await auth.stepUp(
        requireAuth(request),
        {
          method: 'passkey',
          response: request.body.response,
          challengeToken: takeChallenge(request, reply),
        },
        requestContext(request),
      );
      setSessionCookies(reply, issued, ttl);
      reply.rotateCsrfBinding();
      return { user: issued.user };
    },
  );
}

export const secondFactorsModule: FeatureModule = {
  name: 'second-factors',
  register(app, context) {
    registerSecondFactorRoutes(app, {
      auth: context.identity.auth,
      factors: context.identity.factors,
      accessTokenTtlSeconds: context.config.accessTokenTtlSeconds,
    });
  },
};
