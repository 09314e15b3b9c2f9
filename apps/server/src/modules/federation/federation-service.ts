import { timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { emailSchema } from '@portcullis/contract/common';
import type { FederationErrorCode, LinkedProvider } from '@portcullis/contract/federation';
import { RECENT_AUTHENTICATION_MS } from '@portcullis/contract/second-factors';
import { AppError } from '../../lib/app-error.js';
import type { CounterStore } from '../../lib/counter-store.js';
import { newBearerSecret, newId, sha256 } from '../../lib/random.js';
import type { AuthContext } from '../../plugins/access-control.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AuthService, SignInResult } from '../auth/auth-service.js';
import type { AuthMethod } from '../identity/pending-sign-in.js';
import type { RequestContext, SessionService } from '../identity/session-service.js';
import type { UserRepository } from '../users/user-repository.js';
import {
  externalIdOf,
  type FederationRepository,
  type FlowRow,
  type ProviderIdentity,
} from './federation-repository.js';
import { LogoutTokenError, verifyLogoutToken } from './logout-token.js';
import {
  PROVIDER_TIMEOUT_SECONDS,
  ProviderUnavailableError,
  type ProviderRegistry,
  type RegisteredProvider,
} from './provider-registry.js';

/** A provider round trip must come back within this, or it starts over (the issue: 10 minutes). */
export const FLOW_TTL_MS = 10 * 60_000;

/** A failure that ends the round trip on the sign-in (or Security) page with `?error=code`. */
export class FederationFailure extends Error {
  constructor(
    readonly code: FederationErrorCode,
    readonly reason: string,
    readonly actorId: string | null = null,
  ) {
    super(`${code}: ${reason}`);
    this.name = 'FederationFailure';
  }
}

export type FlowIntent = 'sign-in' | 'link';

export type CallbackOutcome =
  | { kind: 'signed-in'; result: SignInResult }
  | { kind: 'linked'; providerId: string }
  | { kind: 'failed'; intent: FlowIntent; code: FederationErrorCode };

/** RFC 8176 values a trusted provider may assert that stand for a second factor here. */
const TRUSTED_AMR_VALUES: ReadonlySet<string> = new Set(['mfa', 'otp', 'hwk', 'swk']);

/**
 * Sign-in with OpenID Connect and GitHub (ADR 016). openid-client does the protocol (PKCE S256,
 * state, nonce, ID token validation with the provider's JWKS, RFC 9207 `iss`); this service
 * decides what a proven provider identity means here: which account, whether one may be created,
 * linking, unlinking, and the provider's logouts. The session itself is started by AuthService,
 * through the same pending sign-in as a password, so a second factor still applies.
 */
export class FederationService {
  private readonly logoutKeys = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly deps: {
      registry: ProviderRegistry;
      repository: FederationRepository;
      users: UserRepository;
      auth: AuthService;
      sessions: SessionService;
      audit: AuditService;
      /** Spent logout-token ids (single use across instances when Redis holds the counters). */
      counters: CounterStore;
      registrationOpen: boolean;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  providers(): { id: string; name: string }[] {
    return this.deps.registry
      .list()
      .map(({ settings }) => ({ id: settings.id, name: settings.name }));
  }

  isProvider(id: string): boolean {
    return this.deps.registry.find(id) !== undefined;
  }

  /**
   * The redirect to the provider, and the random value the browser's flow cookie carries. The
   * PKCE verifier, state and nonce stay here, found only by the cookie's hash: a callback opened
   * in another browser, or a second time, finds no flow.
   */
  async start(
    providerId: string,
    input: { intent: FlowIntent; persistent: boolean; auth: AuthContext | null },
    context: RequestContext,
  ): Promise<{ url: string; bindingToken: string; maxAgeSeconds: number }> {
    const provider = this.providerOrThrow(providerId);
    if (input.intent === 'link') {
      const { auth } = input;
      // Linking adds a way into the account: the same recent proof as adding a second factor.
      if (auth === null || !auth.emailVerified) {
        throw new FederationFailure('provider_flow_invalid', 'link without a session');
      }
      if (this.now() - auth.authTime > RECENT_AUTHENTICATION_MS) {
        throw new FederationFailure(
          'reauthentication_required',
          'link needs a recent sign-in',
          auth.userId,
        );
      }
    }
    let config: client.Configuration;
    try {
      config = await this.deps.registry.configuration(provider);
    } catch (error) {
      await this.recordFailure(
        context,
        providerId,
        classify(error),
        error,
        input.auth?.userId ?? null,
      );
      throw new FederationFailure(classify(error), 'discovery');
    }
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const bindingToken = newBearerSecret();
    const now = this.now();
    await this.deps.repository.saveFlow({
      binding_hash: sha256(bindingToken),
      provider_id: providerId,
      intent: input.intent,
      user_id: input.intent === 'link' ? (input.auth?.userId ?? null) : null,
      session_id: input.intent === 'link' ? (input.auth?.sessionId ?? null) : null,
      state,
      nonce,
      code_verifier: codeVerifier,
      persistent: input.persistent ? 1 : 0,
      created_at: now,
      expires_at: now + FLOW_TTL_MS,
    });
    const { settings } = provider;
    const parameters: Record<string, string> = {
      redirect_uri: provider.redirectUri,
      response_type: 'code',
      scope: settings.type === 'oidc' ? settings.scopes.join(' ') : 'read:user user:email',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (settings.type === 'oidc') parameters.nonce = nonce;
    const url = client.buildAuthorizationUrl(config, parameters);
    return { url: url.href, bindingToken, maxAgeSeconds: FLOW_TTL_MS / 1000 };
  }

  /**
   * The provider sent the browser back. Every failure is audited and answered as a code; nothing
   * is written before the provider's answer is fully validated.
   */
  async callback(
    providerId: string,
    query: URLSearchParams,
    bindingToken: string | undefined,
    context: RequestContext,
    deviceId: string,
  ): Promise<CallbackOutcome> {
    let intent: FlowIntent = 'sign-in';
    let actorId: string | null = null;
    try {
      const provider = this.providerOrThrow(providerId);
      const flow =
        bindingToken === undefined
          ? undefined
          : await this.deps.repository.takeFlow(sha256(bindingToken));
      // No flow: started in another browser (login CSRF), already used (a replayed callback), or
      // never started here at all.
      if (flow === undefined || flow.provider_id !== providerId) {
        throw new FederationFailure('provider_flow_invalid', 'no flow for this browser');
      }
      intent = flow.intent;
      actorId = flow.user_id;
      if (flow.expires_at <= this.now())
        throw new FederationFailure('provider_flow_expired', 'flow expired');
      // Checked here as well as by openid-client, so a tampered state is told apart from a bad token.
      if (!sameString(query.get('state') ?? '', flow.state)) {
        throw new FederationFailure('provider_flow_invalid', 'state mismatch');
      }
      const identity = await this.exchange(provider, flow, query);
      return flow.intent === 'link'
        ? await this.link(flow, identity, context)
        : await this.signIn(provider, flow, identity, context, deviceId);
    } catch (error) {
      const code = error instanceof FederationFailure ? error.code : classify(error);
      await this.recordFailure(
        context,
        providerId,
        code,
        error,
        error instanceof FederationFailure ? (error.actorId ?? actorId) : actorId,
      );
      return { kind: 'failed', intent, code };
    }
  }

  /** Code for tokens (PKCE, client authentication), then the identity the answer proves. */
  private async exchange(
    provider: RegisteredProvider,
    flow: FlowRow,
    query: URLSearchParams,
  ): Promise<ProviderIdentity & { amr: string[]; sid: string | undefined }> {
    const config = await this.deps.registry.configuration(provider);
    const callbackUrl = new URL(provider.redirectUri);
    callbackUrl.search = query.toString();
    const { settings } = provider;
    if (settings.type === 'oidc') {
      // openid-client checks the response's `iss` (RFC 9207) when the provider advertises it,
      // state, the PKCE verifier (at the token endpoint), and the ID token: signature by a key
      // of the provider's JWKS, `iss`, `aud`, `exp`, `iat`, `nonce`, `azp`.
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.code_verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (claims === undefined) throw new FederationFailure('provider_failed', 'no ID token');
      // Many providers put profile claims only in the UserInfo answer (OIDC Core §5.4). Its
      // `sub` must be the ID token's (§5.3.2), or a substituted answer would be believed.
      let profile: Record<string, unknown> = claims;
      if (claims.email === undefined && config.serverMetadata().userinfo_endpoint !== undefined) {
        profile = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      }
      return {
        providerId: settings.id,
        issuer: claims.iss,
        subject: claims.sub,
        email: typeof profile.email === 'string' ? profile.email : undefined,
        // Only a JSON true: a string "true" or an absent claim is not a provider's assertion.
        emailVerified: profile.email_verified === true,
        name: typeof profile.name === 'string' ? profile.name : undefined,
        amr: Array.isArray(claims.amr)
          ? claims.amr.filter((v): v is string => typeof v === 'string')
          : [],
        sid: typeof claims.sid === 'string' ? claims.sid : undefined,
      };
    }
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: flow.code_verifier,
      expectedState: flow.state,
    });
    const api = settings.apiUrl.replace(/\/$/, '');
    const user = await githubJson(config, tokens.access_token, `${api}/user`);
    const emails = await githubJson(config, tokens.access_token, `${api}/user/emails`);
    const id =
      typeof user === 'object' && user !== null ? (user as Record<string, unknown>).id : undefined;
    if (typeof id !== 'number' && typeof id !== 'string') {
      throw new FederationFailure('provider_failed', 'GitHub user without id');
    }
    const primary = Array.isArray(emails)
      ? (emails as Record<string, unknown>[]).find((entry) => entry.primary === true)
      : undefined;
    const name = (user as Record<string, unknown>).name;
    return {
      providerId: settings.id,
      issuer: settings.baseUrl.replace(/\/$/, ''),
      subject: String(id),
      email: typeof primary?.email === 'string' ? primary.email : undefined,
      emailVerified: primary?.verified === true,
      name: typeof name === 'string' ? name : undefined,
      amr: [],
      sid: undefined,
    };
  }

  private async signIn(
    provider: RegisteredProvider,
    flow: FlowRow,
    identity: ProviderIdentity & { amr: string[]; sid: string | undefined },
    context: RequestContext,
    deviceId: string,
  ): Promise<CallbackOutcome> {
    const { repository, audit } = this.deps;
    const now = this.now();
    const linked = await repository.findExternal(externalIdOf(identity));
    let userId: string;
    if (linked !== undefined) {
      userId = linked.user_id;
      await repository.markUsed(linked.id, now);
    } else {
      userId = await this.createAccount(identity, context);
    }
    const asserted: AuthMethod[] =
      provider.settings.type === 'oidc' && provider.settings.trustAmr
        ? identity.amr.filter((value): value is AuthMethod => TRUSTED_AMR_VALUES.has(value))
        : [];
    let result: SignInResult;
    try {
      result = await this.deps.auth.signInWithProvider(
        { userId, providerAmr: asserted, persistent: flow.persistent === 1 },
        context,
        deviceId,
      );
    } catch (error) {
      if (error instanceof AppError)
        throw new FederationFailure('provider_failed', error.code, userId);
      throw error;
    }
    if (result.kind === 'session') {
      await repository.recordSession({
        sessionId: result.sessionId,
        providerId: provider.settings.id,
        subject: identity.subject,
        providerSid: identity.sid ?? null,
        now,
      });
    } else {
      // Tied to the session when the second factor completes (sessionStarted), so the
      // provider's logouts reach it too.
      await repository.savePending({
        tokenHash: sha256(result.token),
        providerId: provider.settings.id,
        subject: identity.subject,
        providerSid: identity.sid ?? null,
        expiresAt: result.expiresAt,
      });
      await audit.record(context, {
        type: 'login_succeeded',
        outcome: 'success',
        actorId: userId,
        detail: `provider ${provider.settings.id}; second factor owed`,
      });
    }
    return { kind: 'signed-in', result };
  }

  /**
   * An unknown provider account: a new Portcullis account, only while registration is open and
   * only for an address the provider says it verified. An address already registered here is
   * never linked to it (ADR 016): the owner links from Security, signed in on both sides.
   */
  private async createAccount(
    identity: ProviderIdentity,
    context: RequestContext,
  ): Promise<string> {
    if (!this.deps.registrationOpen)
      throw new FederationFailure('provider_no_account', 'registration closed');
    const email = emailSchema.safeParse(identity.email ?? '');
    if (!identity.emailVerified || !email.success) {
      throw new FederationFailure('provider_no_account', 'no verified email');
    }
    const now = this.now();
    const id = newId();
    const name =
      (identity.name ?? email.data.split('@')[0] ?? 'User').trim().slice(0, 100) || 'User';
    const created = await this.deps.repository.createUserWithExternal(
      {
        id,
        email: email.data,
        name,
        role: 'user',
        // The provider verified it, and only such an address may create an account this way.
        email_verified_at: now,
        created_at: now,
        updated_at: now,
        disabled_at: null,
        must_reset_password: 0,
        last_sign_in_at: null,
      },
      identity,
    );
    if (created === 'email_taken') {
      throw new FederationFailure('provider_account_exists', 'email registered, not linked');
    }
    if (created === 'already_linked') {
      // Two first sign-ins raced: the other one created the account; this one starts over.
      throw new FederationFailure('provider_flow_invalid', 'raced account creation');
    }
    await this.deps.audit.record(context, {
      type: 'register',
      outcome: 'success',
      actorId: id,
      actorEmail: email.data,
      detail: `provider ${identity.providerId}`,
    });
    return id;
  }

  private async link(
    flow: FlowRow,
    identity: ProviderIdentity,
    context: RequestContext,
  ): Promise<CallbackOutcome> {
    const { repository, audit, users } = this.deps;
    const userId = flow.user_id;
    // The session that started the link must still be live: signing out (or being signed out)
    // in between cancels it.
    if (
      userId === null ||
      flow.session_id === null ||
      !(await repository.sessionIsLive(flow.session_id, userId, this.now()))
    ) {
      throw new FederationFailure('provider_flow_invalid', 'linking session ended', userId);
    }
    const existing = await repository.findExternal(externalIdOf(identity));
    if (existing !== undefined && existing.user_id !== userId) {
      throw new FederationFailure('provider_already_linked', 'linked to another account', userId);
    }
    if (
      existing === undefined &&
      !(await repository.insertExternal(userId, identity, this.now()))
    ) {
      throw new FederationFailure('provider_already_linked', 'raced link', userId);
    }
    const user = await users.findById(userId);
    await audit.record(context, {
      type: 'provider_linked',
      outcome: 'success',
      actorId: userId,
      actorEmail: user?.email ?? null,
      detail: `provider ${identity.providerId}`,
    });
    return { kind: 'linked', providerId: identity.providerId };
  }

  async linked(userId: string): Promise<LinkedProvider[]> {
    const rows = await this.deps.repository.listExternal(userId);
    return rows.map((row) => {
      const providerId = row.label ?? '';
      const data = row.data === null ? {} : (JSON.parse(row.data) as { email?: string | null });
      return {
        id: row.id,
        provider: providerId,
        name: this.deps.registry.find(providerId)?.settings.name ?? providerId,
        email: data.email ?? null,
        linkedAt: new Date(row.created_at).toISOString(),
        lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
      };
    });
  }

  /** Unlinks, unless it is the last way in (no password, passkey or other provider). */
  async unlink(auth: AuthContext, credentialId: string, context: RequestContext): Promise<void> {
    const { repository, audit } = this.deps;
    const mine = (await repository.listExternal(auth.userId)).find(
      (row) => row.id === credentialId,
    );
    if (mine === undefined) throw new AppError('not_found');
    if ((await repository.otherWaysIn(auth.userId, credentialId)) === 0) {
      await audit.record(context, {
        type: 'provider_unlinked',
        outcome: 'failure',
        actorId: auth.userId,
        detail: `provider ${mine.label ?? ''}: last way in`,
      });
      throw new AppError('last_way_in');
    }
    if (!(await repository.deleteExternal(auth.userId, credentialId)))
      throw new AppError('not_found');
    await audit.record(context, {
      type: 'provider_unlinked',
      outcome: 'success',
      actorId: auth.userId,
      detail: `provider ${mine.label ?? ''}`,
    });
  }

  /**
   * Where the browser goes to end the provider's session too (RP-initiated logout 1.0), for a
   * session that came from a provider that has an end_session_endpoint. Looked up before the
   * session is revoked. `client_id` rather than an ID token hint: no provider token is kept.
   */
  async endSessionUrl(
    sessionId: string,
    postLogoutRedirectUri: string,
  ): Promise<string | undefined> {
    const row = await this.deps.repository.findSession(sessionId);
    const provider = row === undefined ? undefined : this.deps.registry.find(row.provider_id);
    if (provider === undefined || provider.settings.type !== 'oidc') return undefined;
    try {
      const config = await this.deps.registry.configuration(provider);
      if (config.serverMetadata().end_session_endpoint === undefined) return undefined;
      return client.buildEndSessionUrl(config, {
        client_id: provider.settings.clientId,
        post_logout_redirect_uri: postLogoutRedirectUri,
      }).href;
    } catch {
      // The provider is down: the Portcullis session still ends; the provider's cannot now.
      return undefined;
    }
  }

  /**
   * Back-channel logout (OIDC Back-Channel Logout 1.0): the provider says a user's session there
   * ended; the matching Portcullis sessions end on every instance. Returns how many.
   */
  async backchannelLogout(
    providerId: string,
    logoutToken: string,
    context: RequestContext,
  ): Promise<number> {
    const provider = this.providerOrThrow(providerId);
    if (provider.settings.type !== 'oidc') throw new AppError('not_found');
    let config: client.Configuration;
    try {
      config = await this.deps.registry.configuration(provider);
    } catch {
      throw new AppError('dependency_unavailable');
    }
    const metadata = config.serverMetadata();
    if (metadata.jwks_uri === undefined) throw new AppError('dependency_unavailable');
    let keys = this.logoutKeys.get(providerId);
    if (keys === undefined) {
      // jose fetches the keys again when a token names an unknown `kid` (rotation), at most
      // every 30 seconds, so a flood of forged kids cannot make us hammer the provider.
      keys = createRemoteJWKSet(new URL(metadata.jwks_uri), {
        timeoutDuration: PROVIDER_TIMEOUT_SECONDS * 1000,
      });
      this.logoutKeys.set(providerId, keys);
    }
    try {
      const verified = await verifyLogoutToken(logoutToken, keys, {
        issuer: metadata.issuer,
        audience: provider.settings.clientId,
      });
      // Single use (§2.6 step 8, "MAY"): a captured token replayed within its lifetime is refused.
      const spent = await this.deps.counters.increment(
        `logout-jti:${providerId}:${sha256(verified.jti)}`,
        10 * 60_000,
      );
      if (spent.count > 1) throw new LogoutTokenError('jti replayed');
      const sessions = await this.deps.repository.sessionsFor(providerId, {
        sid: verified.sid,
        subject: verified.sub,
      });
      for (const session of sessions) await this.deps.sessions.revoke(session.session_id);
      await this.deps.audit.record(context, {
        type: 'provider_logout',
        outcome: 'success',
        actorId: sessions[0]?.user_id ?? null,
        detail: `provider ${providerId}: ${sessions.length} session(s) ended`,
      });
      return sessions.length;
    } catch (error) {
      if (!(error instanceof LogoutTokenError)) throw error;
      await this.deps.audit.record(context, {
        type: 'provider_logout',
        outcome: 'failure',
        detail: `provider ${providerId}: ${error.reason}`,
      });
      throw new AppError('validation_failed', { message: 'The logout token is not valid.' });
    }
  }

  /**
   * A session started: if it completes a provider sign-in that owed a second factor, it is
   * recorded as that provider's session (for RP-initiated and back-channel logout).
   */
  async sessionStarted(sessionId: string, pendingToken: string | undefined): Promise<void> {
    if (pendingToken === undefined) return;
    const now = this.now();
    const pending = await this.deps.repository.takePending(sha256(pendingToken), now);
    if (pending === undefined) return;
    await this.deps.repository.recordSession({
      sessionId,
      providerId: pending.provider_id,
      subject: pending.subject,
      providerSid: pending.provider_sid,
      now,
    });
  }

  /** Housekeeping: flows abandoned at the provider. */
  async deleteExpired(now: number): Promise<void> {
    await this.deps.repository.deleteExpiredFlows(now);
  }

  private providerOrThrow(providerId: string): RegisteredProvider {
    const provider = this.deps.registry.find(providerId);
    if (provider === undefined) throw new AppError('not_found');
    return provider;
  }

  private async recordFailure(
    context: RequestContext,
    providerId: string,
    code: FederationErrorCode,
    error: unknown,
    actorId: string | null,
  ): Promise<void> {
    const reason = error instanceof FederationFailure ? error.reason : describe(error);
    await this.deps.audit.record(context, {
      type: 'provider_sign_in_failed',
      outcome: 'failure',
      actorId,
      detail: `provider ${providerId}: ${code} (${reason})`.slice(0, 500),
    });
  }
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What went wrong, for the audit log: a library's error code, never a token or a secret. */
function describe(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError) return `provider said ${error.error}`;
  if (error instanceof client.ResponseBodyError)
    return `provider answered ${error.status} ${error.error}`;
  if (error instanceof client.ClientError) return error.code ?? error.message;
  if (error instanceof ProviderUnavailableError) return 'unreachable';
  if (error instanceof Error) return error.name;
  return 'unknown';
}

/** A library error as one of the fixed codes the sign-in page knows. */
function classify(error: unknown): FederationErrorCode {
  if (error instanceof FederationFailure) return error.code;
  if (error instanceof client.AuthorizationResponseError) {
    if (error.error === 'access_denied') return 'provider_denied';
    if (error.error === 'temporarily_unavailable' || error.error === 'server_error') {
      return 'provider_unavailable';
    }
    return 'provider_failed';
  }
  if (error instanceof ProviderUnavailableError) return 'provider_unavailable';
  // A refused connection or a timeout, however deeply the library wrapped it.
  for (let cause: unknown = error, depth = 0; cause !== undefined && depth < 5; depth += 1) {
    if (cause instanceof TypeError && cause.message === 'fetch failed')
      return 'provider_unavailable';
    if (
      cause instanceof DOMException &&
      (cause.name === 'TimeoutError' || cause.name === 'AbortError')
    ) {
      return 'provider_unavailable';
    }
    if (cause instanceof client.ResponseBodyError && cause.status >= 500)
      return 'provider_unavailable';
    if (cause instanceof Response && cause.status >= 500) return 'provider_unavailable';
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return 'provider_failed';
}

async function githubJson(
  config: client.Configuration,
  accessToken: string,
  url: string,
): Promise<unknown> {
  const response = await client.fetchProtectedResource(
    config,
    accessToken,
    new URL(url),
    'GET',
    undefined,
    new Headers({ accept: 'application/vnd.github+json' }),
  );
  if (!response.ok) {
    if (response.status >= 500) throw new ProviderUnavailableError('github');
    throw new FederationFailure('provider_failed', `GitHub API answered ${response.status}`);
  }
  return response.json();
}
