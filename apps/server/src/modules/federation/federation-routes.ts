import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idParamsSchema, noContentSchema } from '@portcullis/contract/common';
import {
  linkedProvidersResponseSchema,
  providerIdSchema,
  providerListResponseSchema,
  providerStartQuerySchema,
  SECOND_FACTOR_QUERY_PARAM,
  type FederationErrorCode,
  type ProviderStartQuery,
} from '@portcullis/contract/federation';
import { AppError } from '../../lib/app-error.js';
import { requestContext } from '../../lib/request-context.js';
import { requireAuth } from '../../plugins/access-control.js';
import { cookieNames, federationCookieOptions } from '../../plugins/cookies.js';
import type { AuthService } from '../auth/auth-service.js';
import { answerSignIn, deviceIdOf } from '../auth/sign-in-answer.js';
import type { FeatureModule } from '../feature-module.js';
import {
  FederationFailure,
  type FederationService,
  type FlowIntent,
} from './federation-service.js';

const providerParamsSchema = z.strictObject({ provider: providerIdSchema });
type ProviderParams = z.infer<typeof providerParamsSchema>;

/** The callback's query: whatever the provider sent, bounded; openid-client reads it. */
const callbackQuerySchema = z.record(z.string().max(64), z.string().max(4096));

/** A back-channel logout request: `logout_token` as a form field (OIDC Back-Channel Logout §2.5). */
const logoutBodySchema = z.object({ logout_token: z.string().min(1).max(16_384) });

/** Logout tokens are small; anything larger is refused before it is parsed. */
const FORM_BODY_LIMIT_BYTES = 32 * 1024;

/** Where each intent's round trip ends: the page that shows `?error=` or the result. */
function pageFor(intent: FlowIntent): string {
  return intent === 'link' ? '/profile/security' : '/sign-in';
}

function failureLocation(intent: FlowIntent, code: FederationErrorCode): string {
  return `${pageFor(intent)}?error=${encodeURIComponent(code)}`;
}

export function registerFederationRoutes(
  app: FastifyInstance,
  deps: { federation: FederationService; auth: AuthService; accessTokenTtlSeconds: number },
): void {
  const { federation, auth } = deps;

  const clearFlowCookie = (request: FastifyRequest, reply: FastifyReply) => {
    if (request.cookies[cookieNames.federation] !== undefined) {
      reply.clearCookie(cookieNames.federation, federationCookieOptions);
    }
  };

  app.get(
    '/api/auth/providers',
    { config: { access: 'public' }, schema: { response: { 200: providerListResponseSchema } } },
    () => ({ providers: federation.providers() }),
  );

  // A top-level navigation from the sign-in page (or Security, to link), answered with a redirect:
  // public, because signing in is for the signed-out; `link` checks the session itself.
  app.get<{ Params: ProviderParams; Querystring: ProviderStartQuery }>(
    '/api/auth/:provider/start',
    {
      config: { access: 'public' },
      schema: {
        params: providerParamsSchema,
        querystring: providerStartQuerySchema,
        response: { 302: noContentSchema },
      },
    },
    async (request, reply) => {
      const { intent, remember } = request.query;
      if (!federation.isProvider(request.params.provider)) throw new AppError('not_found');
      const session =
        intent === 'link' ? await auth.authenticate(request.cookies[cookieNames.access]) : null;
      let started: Awaited<ReturnType<FederationService['start']>>;
      try {
        started = await federation.start(
          request.params.provider,
          { intent, persistent: remember === 'true', auth: session },
          requestContext(request),
        );
      } catch (error) {
        if (!(error instanceof FederationFailure)) throw error;
        return reply.redirect(failureLocation(intent, error.code), 302);
      }
      reply.setCookie(cookieNames.federation, started.bindingToken, {
        ...federationCookieOptions,
        maxAge: started.maxAgeSeconds,
      });
      return reply.redirect(started.url, 302);
    },
  );

  app.get<{ Params: ProviderParams; Querystring: Record<string, string> }>(
    '/api/auth/:provider/callback',
    {
      // The provider's redirect back is a cross-site navigation by design (fetch-metadata.ts).
      config: { access: 'public', crossSiteNavigation: true },
      schema: {
        params: providerParamsSchema,
        querystring: callbackQuerySchema,
        response: { 302: noContentSchema },
      },
    },
    async (request, reply) => {
      if (!federation.isProvider(request.params.provider)) throw new AppError('not_found');
      const deviceId = deviceIdOf(request);
      const query = new URLSearchParams(request.query);
      const outcome = await federation.callback(
        request.params.provider,
        query,
        request.cookies[cookieNames.federation],
        requestContext(request),
        deviceId,
      );
      // The flow was spent (or never existed): its cookie goes, whatever the outcome.
      clearFlowCookie(request, reply);
      if (outcome.kind === 'failed') {
        return reply.redirect(failureLocation(outcome.intent, outcome.code), 302);
      }
      if (outcome.kind === 'linked') {
        return reply.redirect(
          `${pageFor('link')}?linked=${encodeURIComponent(outcome.providerId)}`,
          302,
        );
      }
      // The same cookies as a password sign-in (session, or the pending second-factor state).
      answerSignIn(request, reply, outcome.result, deviceId, deps.accessTokenTtlSeconds);
      if (outcome.result.kind === 'pending') {
        const methods = outcome.result.methods.join(',');
        return reply.redirect(`/sign-in?${SECOND_FACTOR_QUERY_PARAM}=${methods}`, 302);
      }
      return reply.redirect('/', 302);
    },
  );

  app.get(
    '/api/account/providers',
    {
      config: { access: 'authenticated' },
      schema: { response: { 200: linkedProvidersResponseSchema } },
    },
    async (request) => ({ providers: await federation.linked(requireAuth(request).userId) }),
  );

  app.delete<{ Params: z.infer<typeof idParamsSchema> }>(
    '/api/account/providers/:id',
    // Removing a way in is as sensitive as removing a second factor (ADR 015).
    {
      config: { access: 'authenticated', recentAuthentication: true },
      schema: { params: idParamsSchema, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      await federation.unlink(requireAuth(request), request.params.id, requestContext(request));
      return reply.code(204).send();
    },
  );

  // Form bodies exist for this one route: the provider posts `logout_token` form-encoded.
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT_BYTES },
      (_request, body, parsed) => {
        const text = typeof body === 'string' ? body : body.toString('utf8');
        parsed(null, Object.fromEntries(new URLSearchParams(text)));
      },
    );
    scope.post<{ Params: ProviderParams; Body: z.infer<typeof logoutBodySchema> }>(
      '/api/auth/:provider/backchannel-logout',
      {
        // Called by the provider's server, not a browser: there is no session, Origin or CSRF
        // token to check. The signed logout token (issuer, audience, single-use jti) is the
        // authentication; a forged or replayed one is refused in verifyLogoutToken.
        config: { access: 'public', csrf: false },
        schema: {
          params: providerParamsSchema,
          body: logoutBodySchema,
          response: { 200: noContentSchema },
        },
      },
      async (request, reply) => {
        await federation.backchannelLogout(
          request.params.provider,
          request.body.logout_token,
          requestContext(request),
        );
        return reply.code(200).send();
      },
    );
    done();
  });
}

export const federationModule: FeatureModule = {
  name: 'federation',
  register(app, context) {
    registerFederationRoutes(app, {
      federation: context.identity.federation,
      auth: context.identity.auth,
      accessTokenTtlSeconds: context.config.accessTokenTtlSeconds,
    });
  },
};
