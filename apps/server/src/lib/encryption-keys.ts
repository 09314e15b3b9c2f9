import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AppConfig } from '../config.js';

const storedSchema = z.object({ encryptionKey: z.string().min(32) });

/**
 * ENCRYPTION_KEYS from the environment (config refuses to start without it off localhost);
 * otherwise one key generated once into the data directory, mode 0600, like the other secrets.
 */
export function loadEncryptionKeys(config: AppConfig): string[] {
  if (config.encryptionKeys !== undefined) return config.encryptionKeys;
  const file = path.join(config.dataDir, 'encryption-keys.json');
  let stored: z.infer<typeof storedSchema>;
  if (existsSync(file)) {
    stored = storedSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } else {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    stored = { encryptionKey: randomBytes(48).toString('base64url') };
    writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return [stored.encryptionKey];
}
