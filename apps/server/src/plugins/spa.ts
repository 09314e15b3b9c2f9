import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/app-error.js';
import { sendError } from './error-handler.js';
import { documentHeaders } from './security-headers.js';

/**
 * Serves the built React app. Hashed assets are cached for a year; index.html is revalidated so a
 * deploy is seen at once. An unknown path gets index.html only when a browser navigates to it
 * (client-side routes; the SPA shows its own not-found page), and a JSON 404 otherwise. The
 * choice reads what the client asks for, not how the path is spelled, so no spelling of an API
 * path is ever mistaken for a document. Every 404 has already been counted by the rate limit.
 */
export async function registerSpa(
  app: FastifyInstance,
  options: { webDistDir: string },
): Promise<void> {
  const hasSpa = existsSync(path.join(options.webDistDir, 'index.html'));
  if (hasSpa) {
    await app.register(fastifyStatic, {
      root: options.webDistDir,
      wildcard: false,
      index: false,
      serveDotFiles: false,
      // Our setHeaders decides caching; left on, the plugin would overwrite it with max-age=0.
      cacheControl: false,
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
    if (hasSpa && isNavigation(request)) {
      // The strict API headers were set for the unmatched path; this answer is a document.
      reply.removeHeader('vary');
      return reply
        .headers(documentHeaders)
        .header('cache-control', 'no-cache')
        .sendFile('index.html');
    }
    return sendError(reply, request, new AppError('not_found'));
  });
}

/** A browser loading a page (not fetch(), not an image or script) for a path with no extension. */
function isNavigation(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const destination = request.headers['sec-fetch-dest'];
  const asksForDocument =
    destination === undefined
      ? (request.headers.accept ?? '').includes('text/html')
      : destination === 'document';
  return asksForDocument && path.extname(request.url.split('?', 1)[0] ?? '') === '';
}
