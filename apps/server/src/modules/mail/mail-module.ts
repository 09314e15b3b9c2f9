import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { FeatureModule } from '../feature-module.js';
import type { AppConfig } from '../../config.js';
import type { Db } from '../../db/database.js';
import { createOutboxTransport } from './mail-outbox.js';
import { MailRepository } from './mail-repository.js';
import { registerMailRoutes } from './mail-routes.js';
import { MailService } from './mail-service.js';
import { createSmtpTransport, type MailTransport } from './mail-transport.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The mail queue: `app.mail.enqueue(...)` from any module that sends a message. */
    mail: MailService;
  }
}

export interface MailModuleOptions {
  /** Where the outbox announces each message; stderr by default. */
  notice?: (line: string) => void;
}

/**
 * Registers a queue made by `createMailService`: its admin route, its worker and their lifecycle.
 * Call it after the security plugins, like every route registration (their onRoute hooks must see
 * the route). The worker starts when the app is ready and, on close, finishes the send in flight
 * before the database is closed (preClose runs before every onClose hook).
 */
export function registerMailService(
  app: FastifyInstance,
  { mail, transport }: { mail: MailService; transport: MailTransport },
): MailService {
  app.decorate('mail', mail);
  registerMailRoutes(app, { mail });
  app.addHook('onReady', (done) => {
    mail.start();
    done();
  });
  app.addHook('preClose', async () => {
    await mail.stop();
    await transport.close();
  });
  return mail;
}

/**
 * The queue and its transport without a server: the operator's CLI enqueues through it (a running
 * server's worker sends), and `registerMailService` adds the worker, the route and the lifecycle.
 */
export function createMailService(
  deps: { db: Db; config: AppConfig },
  log: FastifyBaseLogger,
  options: MailModuleOptions = {},
): { mail: MailService; transport: MailTransport } {
  const transport = createMailTransport(deps.config, options);
  const mail = new MailService({ repository: new MailRepository(deps.db), transport, log });
  return { mail, transport };
}

function createMailTransport(config: AppConfig, options: MailModuleOptions): MailTransport {
  const { from, transport } = config.mail;
  if (transport.kind === 'smtp') return createSmtpTransport(from, transport);
  return createOutboxTransport({
    dir: transport.dir,
    from,
    notice: options.notice ?? ((line) => process.stderr.write(`${line}\n`)),
  });
}

export const mailModule: FeatureModule = {
  name: 'mail',
  register(app, context) {
    registerMailService(app, context.mail);
  },
};
