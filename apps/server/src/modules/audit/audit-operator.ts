import type { AppConfig } from '../../config.js';
import { createDatabase } from '../../db/database.js';
import { migrateToLatest } from '../../db/migrations.js';
import { createLogger } from '../../lib/logger.js';
import { AuditRepository } from './audit-repository.js';
import { AuditService } from './audit-service.js';
import { loadAuditCheckpointKeys } from './checkpoint-keys.js';

/**
 * The audit trail for the operator's CLI (`audit verify`, `audit export`): the server's own
 * service on its own connection, with the same checkpoint keys. The log goes to stderr and says
 * only what failed, since stdout carries the export.
 */
export async function openAuditTools(
  config: AppConfig,
): Promise<{ audit: AuditService; close(): Promise<void> }> {
  const db = createDatabase(config.database);
  try {
    await migrateToLatest(db as never);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const log = createLogger({ log: { level: 'warn', file: undefined } }, process.stderr);
  const audit = new AuditService(new AuditRepository(db), log, {
    checkpointKeys: loadAuditCheckpointKeys(config),
  });
  return { audit, close: () => db.destroy() };
}
