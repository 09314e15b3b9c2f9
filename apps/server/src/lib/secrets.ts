import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AppConfig } from '../config.js';

export interface Secrets {
  /** Newest first: the first signs access tokens; all verify, so a key can be rotated out. */
  jwtSecrets: string[];
  /**
   * Newest first, like `jwtSecrets`: the first signs CSRF tokens, all verify, so CSRF_SECRET
   * rotates without refusing the tokens pages already hold (ADR 014).
   */
  csrfSecret: readonly [string, ...string[]];
}

const storedSecretsSchema = z.object({
  jwtSecret: z.string().min(32),
  csrfSecret: z.string().min(32),
});

/**
 * Secrets from the environment win. Otherwise they are generated once into the data directory
 * with mode 0600 (owner read/write only); config refuses this outside localhost.
 */
export function loadSecrets(config: AppConfig): Secrets {
  const csrfSecrets = nonEmpty(config.csrfSecrets);
  if (config.jwtSecrets !== undefined && csrfSecrets !== undefined) {
    return { jwtSecrets: config.jwtSecrets, csrfSecret: csrfSecrets };
  }
  const file = path.join(config.dataDir, 'secrets.json');
  let stored: z.infer<typeof storedSecretsSchema>;
  if (existsSync(file)) {
    stored = storedSecretsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } else {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    stored = {
      jwtSecret: randomBytes(48).toString('base64url'),
      csrfSecret: randomBytes(48).toString('base64url'),
    };
    writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return {
    jwtSecrets: config.jwtSecrets ?? [stored.jwtSecret],
    csrfSecret: csrfSecrets ?? [stored.csrfSecret],
  };
}

function nonEmpty(list: string[] | undefined): readonly [string, ...string[]] | undefined {
  const [first, ...rest] = list ?? [];
  return first === undefined ? undefined : [first, ...rest];
}
