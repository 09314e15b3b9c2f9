import type { FastifyInstance } from 'fastify';
import type { FeatureModule } from '../feature-module.js';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { z } from 'zod';
import { AppError } from '../../lib/app-error.js';

const healthSchema = z.object({ status: z.enum(['ok', 'ready']) });

/** Liveness for load balancers, and readiness that checks what a request needs. */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { db: Db; checks?: (() => Promise<void>)[] },
): void {
  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: { response: { 200: healthSchema } } },
    () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { config: { access: 'public' }, schema: { response: { 200: healthSchema } } },
    async () => {
      try {
        await sql`select 1`.execute(deps.db);
        await Promise.all((deps.checks ?? []).map((check) => check()));
      } catch (error) {
        throw new AppError('dependency_unavailable', { retryAfterSeconds: 5, cause: error });
      }
      return { status: 'ready' };
    },
  );
}

export const healthModule: FeatureModule = {
  name: 'health',
  register(app, context) {
    registerHealthRoutes(app, { db: context.db, checks: [...context.readinessChecks] });
  },
};
