import { z } from 'zod';
import { timestampSchema } from './common.js';

/**
 * Sign-in with OpenID Connect and OAuth 2.0 providers (ADR 016). The browser never sees a token
 * from a provider: it navigates to `/api/auth/:provider/start`, the provider sends it back to
 * `/api/auth/:provider/callback`, and the server answers with a redirect to a page of the web app.
 */

/** A provider id as the operator names it in OIDC_PROVIDERS: it is part of the redirect URI. */
export const providerIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'lower-case letters, digits and "-", starting with a letter');

/** GET /api/auth/providers: the buttons the sign-in page shows, in the operator's order. */
export const providerListResponseSchema = z.object({
  providers: z.array(z.object({ id: providerIdSchema, name: z.string() })),
});
export type ProviderListResponse = z.infer<typeof providerListResponseSchema>;

/**
 * GET /api/auth/:provider/start?intent=sign-in|link&remember=true|false. `link` needs a session
 * that authenticated within the last 10 minutes (ADR 015's step-up window).
 */
export const providerStartQuerySchema = z.strictObject({
  intent: z.enum(['sign-in', 'link']).default('sign-in'),
  remember: z.enum(['true', 'false']).default('false'),
});
export type ProviderStartQuery = z.infer<typeof providerStartQuerySchema>;

/** GET /api/account/providers: the provider accounts linked to the signed-in user. */
export const linkedProviderSchema = z.object({
  /** The link's own id, for DELETE /api/account/providers/:id. */
  id: z.string(),
  provider: z.string(),
  name: z.string(),
  /** The address the provider reported when the link was made, if it reported one. */
  email: z.string().nullable(),
  linkedAt: timestampSchema,
  lastUsedAt: timestampSchema.nullable(),
});
export const linkedProvidersResponseSchema = z.object({
  providers: z.array(linkedProviderSchema),
});
export type LinkedProvider = z.infer<typeof linkedProviderSchema>;
export type LinkedProvidersResponse = z.infer<typeof linkedProvidersResponseSchema>;

/**
 * The `?error=` a failed provider round trip ends with, on `/sign-in` (sign-in) or `/security`
 * (link). Each is also in the error catalogue (errors.ts), which holds the message to show.
 */
export const federationErrorCodes = [
  'provider_denied',
  'provider_failed',
  'provider_unavailable',
  'provider_flow_invalid',
  'provider_flow_expired',
  'provider_no_account',
  'provider_account_exists',
  'provider_already_linked',
  'reauthentication_required',
] as const;
export type FederationErrorCode = (typeof federationErrorCodes)[number];

/**
 * After a provider sign-in that still owes a second factor, the callback redirects to
 * `/sign-in?second-factor=<methods, comma-separated>` with the pending cookie set, and the page
 * continues exactly as after a password (POST /api/login/second-factor or the passkey pair).
 */
export const SECOND_FACTOR_QUERY_PARAM = 'second-factor';

/**
 * Sent with the 204 of POST /api/logout when the session came from a provider that supports
 * RP-initiated logout: the provider's end-session URL, for the browser to navigate to so the
 * provider's own session ends too. Absent otherwise.
 */
export const PROVIDER_LOGOUT_HEADER = 'provider-logout-location';
