import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { errorCatalogue, type ErrorBody, type ErrorCode } from '@portcullis/contract/errors';
import { apiHeaders } from '../plugins/security-headers.js';

/**
 * Node's HTTP parser refuses some requests before Fastify sees them: headers over 16 KiB, a
 * malformed request line or header, a request that did not arrive within the timeouts. Fastify's
 * stock answer is a bare `{"error","message","statusCode"}` without the security headers; these
 * are answered like every other refusal instead: the API's envelope and the API surface's headers
 * (computed once in plugins/security-headers.ts), and the connection closed, since the parser
 * cannot tell where the next request would start.
 */

/** Which catalogue code answers which parser error (Node's `clientError` codes). */
export function clientErrorCode(error: { code?: string }): ErrorCode {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'header_too_large';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'request_timeout';
    default:
      return 'bad_request';
  }
}

/** The status line's reason phrases, for the only statuses written here. */
const REASONS: Partial<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

// Request ids of the app look like `<8 hex>-<counter>`; these cannot collide with them.
const requestIdPrefix = `c${randomBytes(4).toString('hex')}`;
let requestCounter = 0;

export function newClientErrorRequestId(): string {
  requestCounter += 1;
  return `${requestIdPrefix}-${requestCounter.toString(36)}`;
}

/** A refusal outside Fastify: the catalogue's status, the API's headers and envelope, then close. */
export function refusalOutsideApp(
  code: ErrorCode,
  requestId: string,
): { status: number; headers: Record<string, string>; json: string } {
  const { status, message } = errorCatalogue[code];
  const body: ErrorBody = { error: { code, message, requestId } };
  const json = JSON.stringify(body);
  const headers: Record<string, string> = {
    ...apiHeaders,
    'x-request-id': requestId,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(json)),
    connection: 'close',
  };
  return { status, headers, json };
}

/** The whole HTTP/1.1 response, bytes ready for the socket. */
export function clientErrorResponse(code: ErrorCode, requestId: string): string {
  const { status, headers, json } = refusalOutsideApp(code, requestId);
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n${lines.join('\r\n')}\r\n\r\n${json}`;
}

interface ClientErrorLog {
  info(details: object, message: string): void;
}

/** Once the answer is out the socket is destroyed; this bounds how long that may take. */
const FLUSH_DEADLINE_MS = 1000;

/**
 * Replaces Fastify's `clientError` listener on `server` (there is no other way from outside
 * `buildApp`). A response whose headers already left is never followed by a second one: the
 * connection is just closed, as Node itself does.
 */
export function answerClientErrorsInEnvelope(server: Server, log: ClientErrorLog): void {
  server.removeAllListeners('clientError');
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    const code = clientErrorCode(error);
    const requestId = newClientErrorRequestId();
    log.info(
      { requestId, code, parserError: error.code, remoteAddress: socket.remoteAddress },
      'request refused by the HTTP parser',
    );
    if (!socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    const deadline = setTimeout(() => socket.destroy(), FLUSH_DEADLINE_MS);
    deadline.unref();
    socket.end(clientErrorResponse(code, requestId), () => {
      clearTimeout(deadline);
      socket.destroy();
    });
  });
}
