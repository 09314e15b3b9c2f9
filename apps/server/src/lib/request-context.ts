import type { FastifyRequest } from 'fastify';

/** Where a request came from, for the audit log. `request.ip` honours TRUST_PROXY and nothing else. */
export function requestContext(request: FastifyRequest): { ip: string; userAgent: string | null } {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}
