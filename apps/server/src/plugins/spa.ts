import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/app-error.js';
import { sendError } from './error-handler.js';
import { isApiPath } from './security-headers.js';

/**
 * Serves the built React app. Hashed assets are cached for a year; index.html is revalidated so a
 * deploy is seen at once. Unknown non-API paths get index.html so client-side routes work (the SPA
 * shows its own not-found page); unknown API paths get a JSON 404. Both count against the client's
 * rate limit, so scanners cannot probe without bound.
 */
export async function registerSpa(
  app: FastifyInstance,
  options: { webDistDir: string; consumeRateLimit: (request: FastifyRequest) => Promise<void> },
): Promise<void> {
  const hasSpa = existsSync(path.join(options.webDistDir, 'index.html'));
  if (hasSpa) {
    await app.register(fastifyStatic, {
      root: options.webDistDir,
      wildcard: false,
      index: false,
      serveDotFiles: false,
      setHeaders(res, filePath) {
        res.setHeader(
          'cache-control',
          filePath.includes(`${path.sep}assets${path.sep}`)
            ? 'public, max-age=31536000, immutable'
            : 'no-cache',
        );
      },
    });
    // Static routes are public by nature; declare it so the deny-by-default check passes.
    app.get('/', { config: { access: 'public' } }, (_request, reply) =>
      reply.header('cache-control', 'no-cache').sendFile('index.html'),
    );
  }

  app.setNotFoundHandler(async (request, reply) => {
    if (!request.url.startsWith('/api/')) await options.consumeRateLimit(request);
    const wantsDocument =
      hasSpa &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      !isApiPath(request.url) &&
      !path.extname(request.url.split('?', 1)[0] ?? '');
    if (wantsDocument) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    return sendError(reply, request, new AppError('not_found'));
  });
}
