import { z } from 'zod';
import { providerIdSchema } from '@portcullis/contract/federation';

/**
 * The operator's providers, from one environment variable, `OIDC_PROVIDERS`: a JSON array, one
 * object per provider (README, "Sign in with a provider"). JSON rather than indexed variables
 * because a provider is a small record (scopes are a list, a private key is a JWK) and one
 * schema can say exactly which field of which provider is wrong. Validated at boot: a typo stops
 * the server with the field's path instead of breaking the first user's sign-in.
 */

/** A client secret or private key: printed as `[redacted]` by any logger or JSON.stringify. */
export class ProviderSecret<T> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
}

const secretString = z
  .string()
  .min(1)
  .transform((value) => new ProviderSecret(value));

/** A private key as a JWK (RFC 7517), for `private_key_jwt` client authentication. */
const privateJwkSchema = z
  .looseObject({
    kty: z.enum(['RSA', 'EC', 'OKP']),
    d: z.string().min(1),
    kid: z.string().min(1).optional(),
    alg: z.enum(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']),
  })
  .transform((value) => new ProviderSecret(value as Record<string, unknown>));

/**
 * `http:` is refused for anything but loopback: discovery, tokens and keys must come over TLS,
 * or anyone on the path could hand us their own keys (OIDC Core §16.17). Loopback is how the
 * tests and a developer's local Keycloak run.
 */
const providerUrl = z.url().refine((value) => {
  const url = new URL(value);
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}, 'must be https:// (http:// only on loopback)');

const common = {
  id: providerIdSchema,
  name: z.string().trim().min(1).max(60),
  clientId: z.string().min(1),
};

const oidcProviderSchema = z.strictObject({
  ...common,
  type: z.literal('oidc'),
  /** The issuer identifier; `/.well-known/openid-configuration` is read from it. */
  issuer: providerUrl.refine(
    (value) => !value.includes('#') && !value.includes('?'),
    'an issuer has no query or fragment (OIDC Discovery §2)',
  ),
  clientAuth: z
    .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
    .default('client_secret_basic'),
  clientSecret: secretString.optional(),
  privateKeyJwk: privateJwkSchema.optional(),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
    .default(['openid', 'email', 'profile']),
  /**
   * Whether a second factor the provider asserts (`amr` with `mfa`, `otp`, `hwk` or `swk`) stands
   * in for a Portcullis second factor. Only for providers whose MFA the operator controls.
   */
  trustAmr: z.boolean().default(false),
});

const githubProviderSchema = z.strictObject({
  ...common,
  type: z.literal('github'),
  clientSecret: secretString,
  /** github.com, or a GitHub Enterprise Server; overridable so tests can point it elsewhere. */
  baseUrl: providerUrl.default('https://github.com'),
  apiUrl: providerUrl.default('https://api.github.com'),
});

const providersSchema = z
  .array(z.discriminatedUnion('type', [oidcProviderSchema, githubProviderSchema]))
  .max(20)
  .superRefine((providers, ctx) => {
    const seen = new Set<string>();
    providers.forEach((provider, index) => {
      if (seen.has(provider.id)) {
        ctx.addIssue({ code: 'custom', path: [index, 'id'], message: 'is used twice' });
      }
      seen.add(provider.id);
      if (provider.type !== 'oidc') return;
      if (!provider.scopes.includes('openid')) {
        ctx.addIssue({ code: 'custom', path: [index, 'scopes'], message: 'must include openid' });
      }
      const wantsKey = provider.clientAuth === 'private_key_jwt';
      if (wantsKey && provider.privateKeyJwk === undefined) {
        ctx.addIssue({ code: 'custom', path: [index, 'privateKeyJwk'], message: 'is required' });
      }
      if (!wantsKey && provider.clientSecret === undefined) {
        ctx.addIssue({ code: 'custom', path: [index, 'clientSecret'], message: 'is required' });
      }
    });
  });

export type OidcProviderSettings = z.output<typeof oidcProviderSchema>;
export type GithubProviderSettings = z.output<typeof githubProviderSchema>;
export type ProviderSettings = OidcProviderSettings | GithubProviderSettings;

export interface FederationSettings {
  providers: ProviderSettings[];
  /** Whether a first sign-in with a provider may create an account (PROVIDER_REGISTRATION). */
  registrationOpen: boolean;
}

/**
 * Parses OIDC_PROVIDERS and PROVIDER_REGISTRATION. Throws `{ variable, problem }` with the path of
 * the first wrong field; never echoes a value (it may be a secret).
 */
export function parseFederationSettings(
  rawProviders: string | undefined,
  rawRegistration: 'open' | 'closed',
): FederationSettings | { variable: string; problem: string } {
  const registrationOpen = rawRegistration === 'open';
  if (rawProviders === undefined || rawProviders.trim() === '') {
    return { providers: [], registrationOpen };
  }
  let json: unknown;
  try {
    json = JSON.parse(rawProviders);
  } catch {
    return { variable: 'OIDC_PROVIDERS', problem: 'is not valid JSON (an array of providers)' };
  }
  const parsed = providersSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = (issue?.path ?? []).map(String).join('.');
    return {
      variable: 'OIDC_PROVIDERS',
      problem: `${where === '' ? '' : `[${where}] `}${issue?.message ?? 'invalid'}`,
    };
  }
  return { providers: parsed.data, registrationOpen };
}
