import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '@portcullis/contract/roles';
import { RECENT_AUTHENTICATION_MS } from '@portcullis/contract/second-factors';
import { AppError } from '../lib/app-error.js';

/** Who may call a route: anyone, any signed-in user, or only the listed roles. */
export type AccessRule = 'public' | 'authenticated' | readonly Role[];

export interface AuthContext {
  userId: string;
  sessionId: string;
  role: Role;
  email: string;
  name: string;
  /** Milliseconds since the epoch; with the fields above it is the whole public profile. */
  createdAt: number;
  /** Until the address is verified, only routes marked `allowUnverified` answer (ADR 011). */
  emailVerified: boolean;
  /** When the user last actively authenticated in this session (step-up, ADR 015). */
  authTime: number;
  /** A confirmed TOTP key or a passkey; roles in MFA_REQUIRED_ROLES must have one. */
  hasSecondFactor: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
    /** An authenticated route an unverified user may still call (resend, verify, session). */
    allowUnverified?: true;
    /**
     * A sensitive action: the session must have authenticated within RECENT_AUTHENTICATION_MS,
     * or the answer is `reauthentication_required` and the client steps up (ADR 015).
     */
    recentAuthentication?: true;
    /** Reachable by a user whose role requires a second factor before one is enrolled. */
    allowWithoutSecondFactor?: true;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

/**
 * Only documents (the SPA's built files registered by @fastify/static, read-only by construction)
 * are public without saying so; an API route or an unsafe method must declare its rule.
 */
function implicitAccess(config: FastifyContextConfig | undefined): AccessRule | undefined {
  return config?.policy?.surface === 'document' ? 'public' : undefined;
}

export type Authenticate = (request: FastifyRequest) => Promise<AuthContext | null>;

/** Accessor for handlers behind an authenticated rule, where `auth` is guaranteed to be set. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (request.auth === null) throw new AppError('unauthenticated');
  return request.auth;
}

/**
 * Deny by default (ASVS 4.1.3): every route must declare its access rule, and the server refuses
 * to start when one does not. The rule is enforced before validation and the handler run, from
 * the live session state, so a role change or revocation acts on the very next request.
 */
export function registerAccessControl(
  app: FastifyInstance,
  authenticate: Authenticate,
  options: { mfaRequiredRoles: readonly Role[] } = { mfaRequiredRoles: [] },
): void {
  const mfaRequired = new Set<Role>(options.mfaRequiredRoles);
  app.decorateRequest('auth', null);

  app.addHook('onRoute', (route) => {
    const access = route.config?.access ?? implicitAccess(route.config);
    if (access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access rule`);
    }
    if (access === 'public') return;
    const roles = access === 'authenticated' ? undefined : new Set<Role>(access);
    const verifiedOnly = route.config?.allowUnverified !== true;
    const recentOnly = route.config?.recentAuthentication === true;
    const enrolledOnly = route.config?.allowWithoutSecondFactor !== true;
    const guard = async (request: FastifyRequest) => {
      const auth = await authenticate(request);
      if (auth === null) throw new AppError('unauthenticated');
      // A signed-in user who has not proven the address owns nothing else yet (ASVS 6.4.x).
      if (verifiedOnly && !auth.emailVerified) throw new AppError('email_not_verified');
      if (roles !== undefined && !roles.has(auth.role)) throw new AppError('forbidden');
      // A role that must have a second factor does nothing else until it has one.
      if (enrolledOnly && mfaRequired.has(auth.role) && !auth.hasSecondFactor) {
        throw new AppError('mfa_enrollment_required');
      }
      if (recentOnly && Date.now() - auth.authTime > RECENT_AUTHENTICATION_MS) {
        throw new AppError('reauthentication_required');
      }
      request.auth = auth;
    };
    // preValidation: an anonymous caller learns nothing from validation errors.
    const existing = route.preValidation;
    route.preValidation =
      existing === undefined
        ? [guard]
        : [guard, ...(Array.isArray(existing) ? existing : [existing])];
  });
}
