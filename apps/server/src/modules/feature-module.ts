import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { IdentityCore } from './identity/identity-core.js';
import type { MailService } from './mail/mail-service.js';
import type { MailTransport } from './mail/mail-transport.js';

/** What a feature may use: the shared services, never another feature's internals. */
export interface FeatureContext {
  config: AppConfig;
  db: Db;
  identity: IdentityCore;
  mail: { mail: MailService; transport: MailTransport };
  readinessChecks: readonly (() => Promise<void>)[];
}

/**
 * A feature registers itself: its routes (each with its schema and access rule, checked by the
 * security plugins' onRoute hooks, so deny by default holds), and whatever lifecycle it needs.
 * `buildApp` registers the list in `feature-modules.ts` after the security plugins.
 */
export interface FeatureModule {
  readonly name: string;
  register(app: FastifyInstance, context: FeatureContext): void;
}
