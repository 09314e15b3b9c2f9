import type { FastifyBaseLogger } from 'fastify';
import type { AppConfig } from '../../config.js';
import type { Db } from '../../db/database.js';
import { AccessTokenService, accessTokenAudience } from '../../lib/access-token.js';
import type { CounterStore } from '../../lib/counter-store.js';
import { DbCounterStore } from '../../lib/db-counter-store.js';
import { createPasswordHasher } from '../../lib/password-hasher.js';
import { createPasswordPolicy } from '../../lib/password-policy.js';
import { AccountService } from '../account/account-service.js';
import { KnownDeviceRepository } from '../account/known-device-repository.js';
import { AdminService } from '../admin/admin-service.js';
import { AuditRepository } from '../audit/audit-repository.js';
import { AuditService, type AuditRecord } from '../audit/audit-service.js';
import { loadAuditCheckpointKeys } from '../audit/checkpoint-keys.js';
import { AuthService } from '../auth/auth-service.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { SessionRepository } from '../auth/session-repository.js';
import { SessionStateService, type InvalidationBus } from '../auth/session-state.js';
import type { MailService } from '../mail/mail-service.js';
import { AccountDeletion } from '../users/account-deletion.js';
import { UserRepository } from '../users/user-repository.js';
import { CredentialRepository } from './credential-repository.js';
import { PasswordCredentials } from './password-credentials.js';
import { FieldCipher } from '../../lib/field-cipher.js';
import { FactorRepository } from '../second-factors/factor-repository.js';
import { SecondFactorService } from '../second-factors/second-factor-service.js';
import { PendingSignIns } from './pending-sign-in.js';
import { SessionService } from './session-service.js';
import { VerificationStore } from './verification-store.js';
import { FederationRepository } from '../federation/federation-repository.js';
import { FederationService } from '../federation/federation-service.js';
import { ProviderRegistry } from '../federation/provider-registry.js';

export type IdentityCore = ReturnType<typeof createIdentityCore>;

/**
 * The identity core, wired once for the server and the operator's CLI alike (ADR 011): users,
 * credentials per kind, one-time secrets, pending sign-ins and the session service, and on them
 * the password sign-in, account recovery and administration. What differs between a server and
 * the CLI (where counters live, how invalidations travel) comes in as arguments.
 */
export function createIdentityCore(deps: {
  db: Db;
  config: AppConfig;
  jwtSecrets: string[];
  /** ENCRYPTION_KEYS (or the generated one): TOTP keys are stored encrypted under them. */
  encryptionKeys: string[];
  log: FastifyBaseLogger;
  fastCounters: CounterStore;
  invalidationBus: InvalidationBus;
  mail: MailService;
  /** Told of every audit event (the server's metrics). */
  onAuditEvent?: (record: AuditRecord) => void;
}) {
  const { db, config } = deps;
  const hasher = createPasswordHasher(config.hashing);
  const users = new UserRepository(db);
  const sessionRepository = new SessionRepository(db);
  const durableCounters = new DbCounterStore(db);
  const audit = new AuditService(new AuditRepository(db), deps.log, {
    checkpointKeys: loadAuditCheckpointKeys(config),
    ...(deps.onAuditEvent === undefined ? {} : { onEvent: deps.onAuditEvent }),
  });
  const sessionState = new SessionStateService(sessionRepository, deps.invalidationBus);
  const throttle = new LoginThrottle(
    { fast: deps.fastCounters, durable: durableCounters },
    undefined,
    { ipv6PrefixLength: config.rateLimit.ipv6PrefixLength },
  );
  const passwords = new PasswordCredentials({
    credentials: new CredentialRepository(db),
    hasher,
    policy: createPasswordPolicy({ minLength: config.passwordMinLength }),
  });
  const verifications = new VerificationStore(db);
  const sessions = new SessionService({
    users,
    sessions: sessionRepository,
    sessionState,
    audit,
    accessTokens: new AccessTokenService({
      secrets: deps.jwtSecrets,
      issuer: config.publicOrigin,
      audience: accessTokenAudience(config.publicOrigin),
      ttlSeconds: config.accessTokenTtlSeconds,
    }),
    lifetimes: {
      remembered: {
        idleMs: config.sessions.remembered.idleSeconds * 1000,
        maxAgeMs: config.sessions.remembered.maxAgeSeconds * 1000,
      },
      browser: {
        idleMs: config.sessions.browser.idleSeconds * 1000,
        maxAgeMs: config.sessions.browser.maxAgeSeconds * 1000,
      },
      adminIdleMs: config.sessions.adminIdleSeconds * 1000,
    },
    maxSessionsPerUser: config.sessions.maxPerUser,
  });
  const account = new AccountService({
    users,
    passwords,
    verifications,
    sessions,
    devices: new KnownDeviceRepository(db),
    throttle,
    fastCounters: deps.fastCounters,
    mail: deps.mail,
    audit,
    publicOrigin: config.publicOrigin,
  });
  const factors = new SecondFactorService({
    factors: new FactorRepository(db),
    cipher: new FieldCipher(deps.encryptionKeys),
    audit,
    notices: account,
    rp: { id: new URL(config.publicOrigin).hostname, origin: config.publicOrigin },
    mfaRequiredRoles: config.mfaRequiredRoles,
    forgetUser: (userId) => sessions.forgetUser(userId),
  });
  // A second factor is the one requirement a sign-in may owe after its first step.
  const signIns = new PendingSignIns(db, [factors.requirement]);
  const auth = new AuthService({
    users,
    passwords,
    signIns,
    sessions,
    throttle,
    audit,
    verifications,
    notices: account,
    factors,
    // Resolved at sign-out, after `federation` below exists.
    providerLogout: {
      endSessionUrl: (sessionId: string): Promise<string | undefined> =>
        federation.endSessionUrl(sessionId, `${config.publicOrigin}/sign-in`),
      sessionStarted: (sessionId: string, pendingToken: string | undefined): Promise<void> =>
        federation.sessionStarted(sessionId, pendingToken),
    },
  });
  // Sign-in with providers (ADR 016): it ends in `auth`, through the same pending sign-in.
  const federation = new FederationService({
    registry: new ProviderRegistry(config.federation.providers, config.publicOrigin),
    repository: new FederationRepository(db),
    users,
    auth,
    sessions,
    audit,
    counters: deps.fastCounters,
    registrationOpen: config.federation.registrationOpen,
  });
  const deletion = new AccountDeletion({ users, sessionState, audit, notices: account });
  const admin = new AdminService({ users, sessions, audit, throttle, account, deletion, factors });
  return {
    hasher,
    users,
    sessionRepository,
    durableCounters,
    audit,
    sessionState,
    throttle,
    passwords,
    verifications,
    signIns,
    sessions,
    account,
    auth,
    admin,
    deletion,
    factors,
    federation,
  };
}
