import type { AppConfig } from '../../config.js';
import { createDatabase } from '../../db/database.js';
import { migrateToLatest } from '../../db/migrations.js';
import { AccessTokenService } from '../../lib/access-token.js';
import { MemoryCounterStore } from '../../lib/counter-store.js';
import { DbCounterStore } from '../../lib/db-counter-store.js';
import { DbInvalidationLog, InvalidationLogBus } from '../../lib/db-invalidation-log.js';
import { createLogger } from '../../lib/logger.js';
import { createPasswordHasher } from '../../lib/password-hasher.js';
import { createPasswordPolicy } from '../../lib/password-policy.js';
import { loadSecrets } from '../../lib/secrets.js';
import { AuditRepository } from '../audit/audit-repository.js';
import { AuditService } from '../audit/audit-service.js';
import { AuthService } from '../auth/auth-service.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { SessionRepository } from '../auth/session-repository.js';
import { SessionStateService } from '../auth/session-state.js';
import { UserRepository } from '../users/user-repository.js';
import { AdminService } from './admin-service.js';

export interface OperatorServices {
  auth: AuthService;
  admin: AdminService;
  close(): Promise<void>;
}

/**
 * The API's own services, wired for the operator's CLI: a process that serves no requests. What
 * differs from `buildApp` is only where effects go. Cache invalidations are appended to the
 * database's invalidation log, which every running instance polls, with or without Redis
 * (ADR 009); per-client counters live in this process and die with it; the log reports on stderr
 * only a failed audit write (the audit table is the record).
 */
export async function openOperatorServices(config: AppConfig): Promise<OperatorServices> {
  const db = createDatabase(config.database);
  const fastCounters = new MemoryCounterStore();
  const close = async () => {
    fastCounters.close();
    await db.destroy();
  };
  try {
    await migrateToLatest(db as never);
  } catch (error) {
    await close();
    throw error;
  }
  const log = createLogger({ log: { level: 'warn', file: undefined } }, process.stderr);
  const users = new UserRepository(db);
  const sessions = new SessionRepository(db);
  const audit = new AuditService(new AuditRepository(db), log);
  const sessionState = new SessionStateService(
    sessions,
    new InvalidationLogBus(new DbInvalidationLog(db)),
  );
  const throttle = new LoginThrottle({ fast: fastCounters, durable: new DbCounterStore(db) });
  const auth = new AuthService({
    users,
    sessions,
    sessionState,
    hasher: createPasswordHasher(config.hashing),
    policy: createPasswordPolicy({ minLength: config.passwordMinLength }),
    throttle,
    fastCounters,
    audit,
    // The CLI signs no token; the service is built whole so registration runs the API's own code.
    accessTokens: new AccessTokenService({
      secrets: loadSecrets(config).jwtSecrets,
      issuer: config.publicOrigin,
      ttlSeconds: config.accessTokenTtlSeconds,
    }),
    refreshTtlMs: config.refreshTokenTtlSeconds * 1000,
    sessionMaxAgeMs: config.sessionMaxAgeSeconds * 1000,
  });
  const admin = new AdminService({ users, sessions, sessionState, audit, throttle });
  return { auth, admin, close };
}
