import {
  createServer as createHttpServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { SecureVersion } from 'node:tls';
import { TLS_CIPHERS, TLS_MIN_VERSION } from '../../src/lib/tls-policy.js';

/**
 * A deliberately weakened copy of a deployment: an HTTPS server that forwards every request to a
 * running Portcullis and alters its answers (or its own TLS settings) in one chosen way. The
 * self-test's tests run against it to show each check catches the weakness it names.
 */
export interface Weakening {
  tls?: { minVersion?: SecureVersion; ciphers?: string };
  /** Alters an answer's headers in place before they are sent. */
  headers?: (headers: OutgoingHttpHeaders, request: IncomingMessage) => void;
  /** Replaces an answer's body (content-length is recomputed). */
  body?: (body: Buffer, status: number, request: IncomingMessage) => Buffer;
}

export interface RunningProxy {
  close(): Promise<void>;
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });

export async function startWeakenedProxy(options: {
  port: number;
  upstreamPort: number;
  /** The upstream's certificate, verified as any client would. */
  upstreamCa: string;
  cert: string;
  key: string;
  weakening: Weakening;
}): Promise<RunningProxy> {
  const { weakening } = options;
  const server = createHttpsServer(
    // As the server's own listener (server.ts), unless the weakening says otherwise.
    {
      cert: options.cert,
      key: options.key,
      minVersion: TLS_MIN_VERSION,
      ciphers: TLS_CIPHERS,
      ...weakening.tls,
    },
    (request, response) => {
      const upstream = httpsRequest(
        {
          host: '127.0.0.1',
          port: options.upstreamPort,
          servername: 'localhost',
          ca: options.upstreamCa,
          method: request.method,
          path: request.url,
          headers: request.headers,
          agent: false,
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const headers: OutgoingHttpHeaders = { ...answer.headers };
            weakening.headers?.(headers, request);
            let body: Buffer = Buffer.concat(chunks);
            if (weakening.body !== undefined) {
              body = weakening.body(body, answer.statusCode ?? 502, request);
              headers['content-length'] = String(body.length);
              delete headers['transfer-encoding'];
            }
            response.writeHead(answer.statusCode ?? 502, headers);
            response.end(body);
          });
        },
      );
      upstream.on('error', () => {
        if (!response.headersSent) response.writeHead(502);
        response.end();
      });
      // Buffered first, as nginx does: an upstream that answers 413 mid-upload then still has
      // its whole answer delivered instead of a broken pipe.
      const body: Buffer[] = [];
      request.on('data', (chunk: Buffer) => body.push(chunk));
      request.on('end', () => {
        upstream.end(Buffer.concat(body));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return { close: () => closeServer(server) };
}

/**
 * A plain-HTTP listener with the given redirect rule (a weakened copy of the redirect port). Like
 * the server's own, it refuses the API (403) unless `redirectApi` says to redirect that too.
 */
export async function startRedirectServer(
  port: number,
  location: (request: IncomingMessage) => string,
  options: { redirectApi?: boolean } = {},
): Promise<RunningProxy> {
  const server = createHttpServer((request, response) => {
    const target = location(request);
    // A weakened rule may build something that is no URL at all; it is sent as it is.
    const pathname = URL.canParse(target, 'https://redirect.invalid')
      ? new URL(target, 'https://redirect.invalid').pathname
      : '';
    if (options.redirectApi !== true && (pathname === '/api' || pathname.startsWith('/api/'))) {
      response.writeHead(403, { 'content-length': '0' }).end();
      return;
    }
    response.writeHead(308, { location: target, 'content-length': '0' }).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { close: () => closeServer(server) };
}
