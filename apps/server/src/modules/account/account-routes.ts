import type { FastifyInstance } from 'fastify';
import type { FeatureModule } from '../feature-module.js';
import {
  acceptInviteBodySchema,
  acceptedResponseSchema,
  type AcceptInviteBody,
  changeEmailBodySchema,
  forgotPasswordBodySchema,
  resendVerificationBodySchema,
  resetPasswordBodySchema,
  tokenBodySchema,
  type ChangeEmailBody,
  type ForgotPasswordBody,
  type ResendVerificationBody,
  type ResetPasswordBody,
  type TokenBody,
} from '@portcullis/contract/account';
import {
  registerBodySchema,
  sessionResponseSchema,
  type RegisterBody,
} from '@portcullis/contract/auth';
import { noContentSchema } from '@portcullis/contract/common';
import { AppError } from '../../lib/app-error.js';
import { requestContext } from '../../lib/request-context.js';
import { requireAuth } from '../../plugins/access-control.js';
import { cookieNames } from '../../plugins/cookies.js';
import type { AuthService } from '../auth/auth-service.js';
import type { AccountService } from './account-service.js';

const accepted = { status: 'accepted' } as const;

/**
 * Registration, verification and recovery. The link pages post the token from the URL fragment
 * in a JSON body, so it never appears in a request line, an access log or a Referer.
 */
export function registerAccountRoutes(
  app: FastifyInstance,
  deps: { account: AccountService; auth: AuthService; passwordMinLength: number },
): void {
  const { account } = deps;
  const acceptedSchema = { response: { 202: acceptedResponseSchema } };

  app.post<{ Body: RegisterBody }>(
    '/api/register',
    {
      config: { access: 'public' },
      schema: { body: registerBodySchema(deps.passwordMinLength), ...acceptedSchema },
    },
    async (request, reply) => {
      await account.register(request.body, requestContext(request));
      return reply.code(202).send(accepted);
    },
  );

  app.post<{ Body: TokenBody }>(
    '/api/verify-email',
    {
      config: { access: 'public' },
      schema: { body: tokenBodySchema, response: { 200: sessionResponseSchema } },
    },
    async (request) => ({
      user: await account.verifyEmail(request.body.token, requestContext(request)),
    }),
  );

  // Signed in (unverified) with an empty body, or anonymous with the address it registered.
  app.post<{ Body: ResendVerificationBody | null | undefined }>(
    '/api/verify-email/resend',
    {
      config: { access: 'public' },
      schema: { body: resendVerificationBodySchema.nullish(), ...acceptedSchema },
    },
    async (request, reply) => {
      const auth = await deps.auth.authenticate(request.cookies[cookieNames.access]);
      const email = request.body?.email;
      if (auth === null && email === undefined) throw new AppError('unauthenticated');
      await account.resendVerification(
        auth !== null ? { auth } : { email: email as string },
        requestContext(request),
      );
      return reply.code(202).send(accepted);
    },
  );

  app.post<{ Body: ForgotPasswordBody }>(
    '/api/password/forgot',
    { config: { access: 'public' }, schema: { body: forgotPasswordBodySchema, ...acceptedSchema } },
    async (request, reply) => {
      await account.requestPasswordReset(request.body, requestContext(request));
      return reply.code(202).send(accepted);
    },
  );

  app.post<{ Body: ResetPasswordBody }>(
    '/api/password/reset',
    {
      config: { access: 'public' },
      schema: {
        body: resetPasswordBodySchema(deps.passwordMinLength),
        response: { 204: noContentSchema },
      },
    },
    async (request, reply) => {
      await account.resetPassword(request.body, requestContext(request));
      return reply.code(204).send();
    },
  );

  // An invited user's first password, from the mailed link (which proves the address).
  app.post<{ Body: AcceptInviteBody }>(
    '/api/account/accept-invite',
    {
      config: { access: 'public' },
      schema: {
        body: acceptInviteBodySchema(deps.passwordMinLength),
        response: { 200: acceptedResponseSchema },
      },
    },
    async (request) => {
      await account.acceptInvite(request.body, requestContext(request));
      return accepted;
    },
  );

  // Every role may move its own address: it is how an account is recovered later.
  app.post<{ Body: ChangeEmailBody }>(
    '/api/profile/email',
    {
      config: { access: 'authenticated' },
      schema: { body: changeEmailBodySchema, ...acceptedSchema },
    },
    async (request, reply) => {
      await account.requestEmailChange(requireAuth(request), request.body, requestContext(request));
      return reply.code(202).send(accepted);
    },
  );

  app.post<{ Body: TokenBody }>(
    '/api/email-change/confirm',
    {
      config: { access: 'public' },
      schema: { body: tokenBodySchema, response: { 200: sessionResponseSchema } },
    },
    async (request) => ({
      user: await account.confirmEmailChange(request.body.token, requestContext(request)),
    }),
  );

  app.post<{ Body: TokenBody }>(
    '/api/email-change/undo',
    {
      config: { access: 'public' },
      schema: { body: tokenBodySchema, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      await account.undoEmailChange(request.body.token, requestContext(request));
      return reply.code(204).send();
    },
  );

  app.post<{ Body: TokenBody }>(
    '/api/security/not-me',
    {
      config: { access: 'public' },
      schema: { body: tokenBodySchema, response: { 204: noContentSchema } },
    },
    async (request, reply) => {
      await account.notMe(request.body.token, requestContext(request));
      return reply.code(204).send();
    },
  );
}

export const accountModule: FeatureModule = {
  name: 'account',
  register(app, context) {
    registerAccountRoutes(app, {
      account: context.identity.account,
      auth: context.identity.auth,
      passwordMinLength: context.config.passwordMinLength,
    });
  },
};
