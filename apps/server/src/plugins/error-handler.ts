import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody, ErrorCode } from '@portcullis/contract/errors';
import { AppError } from '../lib/app-error.js';

/** Framework errors we expect from clients, mapped onto the catalogue; anything else is a 500. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_failed',
  FST_ERR_VALIDATION: 'validation_failed',
  FST_ERR_NOT_FOUND: 'not_found',
  FST_ERR_BAD_URL: 'not_found',
  FST_ERR_MAX_PARAM_LENGTH: 'not_found',
  FST_ERR_ASYNC_CONSTRAINT: 'validation_failed',
};

/**
 * A backing service (PostgreSQL, Redis) that cannot be reached is an outage, not a bug: 503
 * `dependency_unavailable` with Retry-After, as the login throttle answers when Redis is down, so
 * clients retry instead of reporting a 500. Recognised by socket error codes, PostgreSQL's
 * connection-loss SQLSTATEs (class 08; 57P01-57P03 shutdown, crash, starting up; 53300 too many
 * connections) and the messages pg gives its own connection failures, which carry no code.
 * Without this, every request in flight while PostgreSQL restarted was a 500.
 */
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
const pgConnectionMessage =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed)/;

function isDependencyUnreachable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string' && (unreachableCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
    return true;
  }
  if (typeof message === 'string' && pgConnectionMessage.test(message)) return true;
  return isDependencyUnreachable(cause, depth + 1);
}

export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError>;
  const code = fastifyError.code !== undefined ? fastifyError.code : undefined;
  if (code !== undefined && Object.hasOwn(fastifyCodes, code)) {
    return new AppError(fastifyCodes[code] as ErrorCode);
  }
  if (isDependencyUnreachable(error)) {
    return new AppError('dependency_unavailable', { retryAfterSeconds: 5, cause: error });
  }
  // JSON syntax errors and prototype-poisoning refusals from the body parser are client errors.
  const status = fastifyError.statusCode;
  if (status === 400) return new AppError('validation_failed');
  if (status === 413) return new AppError('payload_too_large');
  if (status === 415) return new AppError('unsupported_media_type');
  return undefined;
}

export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  error: AppError,
): FastifyReply {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      requestId: request.id,
      ...(error.options.fields !== undefined ? { fields: error.options.fields } : {}),
      ...(error.options.openAt !== undefined ? { openAt: error.options.openAt } : {}),
      ...(error.options.attemptsRemaining !== undefined
        ? { attemptsRemaining: error.options.attemptsRemaining }
        : {}),
    },
  };
  if (error.options.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(error.options.retryAfterSeconds));
  }
  return reply.code(error.status).type('application/json; charset=utf-8').send(body);
}

/**
 * Every failure leaves as `{error: {code, message, requestId}}`: never a stack, SQL text, file
 * path or library message (ASVS 7.4.1). Unexpected errors are logged with the request id so an
 * operator can find them from what the user reports.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const known = toAppError(error);
    if (known !== undefined) {
      if (known.status >= 500) request.log.warn({ err: error, code: known.code }, 'request failed');
      return sendError(reply, request, known);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, request, new AppError('internal_error'));
  });
}
