import type { AppConfig } from '../../config.js';
import { createDatabase } from '../../db/database.js';
import { migrateToLatest } from '../../db/migrations.js';
import { MemoryCounterStore } from '../../lib/counter-store.js';
import { DbInvalidationLog, InvalidationLogBus } from '../../lib/db-invalidation-log.js';
import { createLogger } from '../../lib/logger.js';
import { loadEncryptionKeys } from '../../lib/encryption-keys.js';
import { loadSecrets } from '../../lib/secrets.js';
import type { AccountService } from '../account/account-service.js';
import { createIdentityCore } from '../identity/identity-core.js';
import { createMailService } from '../mail/mail-module.js';
import type { AdminService } from './admin-service.js';

export interface OperatorServices {
  account: AccountService;
  admin: AdminService;
  close(): Promise<void>;
}

/**
 * The API's own services, wired for the operator's CLI: a process that serves no requests. What
 * differs from `buildApp` is only where effects go. Cache invalidations are appended to the
 * database's invalidation log, which every running instance polls, with or without Redis
 * (ADR 009); per-client counters live in this process and die with it; mail is queued in the
 * database for a running server's worker to send; the log reports on stderr only a failed audit
 * write (the audit table is the record).
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
  const identity = createIdentityCore({
    db,
    config,
    // The CLI signs no token; the core is built whole so registration runs the API's own code.
    jwtSecrets: loadSecrets(config).jwtSecrets,
    encryptionKeys: loadEncryptionKeys(config),
    log,
    fastCounters,
    invalidationBus: new InvalidationLogBus(new DbInvalidationLog(db)),
    mail: createMailService({ db, config }, log).mail,
  });
  return { account: identity.account, admin: identity.admin, close };
}
