import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AppConfig } from '../../config.js';

const storedKeySchema = z.object({ auditCheckpointKey: z.string().min(32) });

/**
 * AUDIT_CHECKPOINT_KEY (newest first) when set; otherwise a key generated once into the data
 * directory with mode 0600, as lib/secrets.ts does for the other secrets (config refuses that
 * outside localhost). A file of its own, so data directories made before it keep working.
 */
export function loadAuditCheckpointKeys(
  config: Pick<AppConfig, 'auditCheckpointKeys' | 'dataDir'>,
): string[] {
  if (config.auditCheckpointKeys !== undefined && config.auditCheckpointKeys.length > 0) {
    return config.auditCheckpointKeys;
  }
  const file = path.join(config.dataDir, 'audit-checkpoint-key.json');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const stored = { auditCheckpointKey: randomBytes(48).toString('base64url') };
    try {
      writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Two processes starting together (server and CLI): the first one's key wins.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(file, 0o600);
  return [storedKeySchema.parse(JSON.parse(readFileSync(file, 'utf8'))).auditCheckpointKey];
}
