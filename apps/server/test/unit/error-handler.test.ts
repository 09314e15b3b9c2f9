import { PassThrough } from 'node:stream';
import fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ErrorBody } from '@portcullis/contract/errors';
import { AppError } from '../../src/lib/app-error.js';
import { registerErrorHandler, toAppError } from '../../src/plugins/error-handler.js';

/**
 * Which failures become a catalogue error and which stay a 500 (ASVS 7.4.1: the client sees a
 * stable code, never the library's message). The outage faults suite proves the 503 against real
 * PostgreSQL and Redis; this proves each recognised signal on its own, and the near misses.
 */

function fastifyError(code: string, statusCode?: number): Error {
  return Object.assign(new Error(`framework error ${code}`), { code, statusCode });
}

function codeOf(error: unknown): string | undefined {
  return toAppError(error)?.code;
}

describe('toAppError: framework errors', () => {
  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 'payload_too_large', 413],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 'unsupported_media_type', 415],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'validation_failed', 400],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 'validation_failed', 400],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 'validation_failed', 400],
    ['FST_ERR_VALIDATION', 'validation_failed', 400],
    ['FST_ERR_NOT_FOUND', 'not_found', 404],
    ['FST_ERR_BAD_URL', 'not_found', 404],
    ['FST_ERR_MAX_PARAM_LENGTH', 'not_found', 404],
    ['FST_ERR_ASYNC_CONSTRAINT', 'validation_failed', 400],
  ])('%s → %s (%i), whatever status the framework gave it', (code, expected, status) => {
    // statusCode 500 on purpose: the mapping is by code, not by the framework's status.
    const appError = toAppError(fastifyError(code, 500));
    expect(appError?.code).toBe(expected);
    expect(appError?.status).toBe(status);
  });

  it('an AppError passes through as the same object', () => {
    const error = new AppError('forbidden');
    expect(toAppError(error)).toBe(error);
  });

  it('an unknown framework code falls back to its status: 400, 413 and 415 are the client’s', () => {
    expect(codeOf(fastifyError('FST_ERR_SOMETHING_NEW', 400))).toBe('validation_failed');
    expect(codeOf(fastifyError('FST_ERR_SOMETHING_NEW', 413))).toBe('payload_too_large');
    expect(codeOf(fastifyError('FST_ERR_SOMETHING_NEW', 415))).toBe('unsupported_media_type');
    // Prototype poisoning is refused by the body parser with a bare 400 and no code.
    expect(codeOf(Object.assign(new SyntaxError('__proto__'), { statusCode: 400 }))).toBe(
      'validation_failed',
    );
  });

  it('any other status, or none, is not a client error: undefined (the handler answers 500)', () => {
    for (const status of [401, 404, 412, 414, 500, undefined]) {
      expect(codeOf(fastifyError('FST_ERR_SOMETHING_NEW', status)), String(status)).toBe(undefined);
    }
    expect(codeOf(new TypeError('x is undefined'))).toBe(undefined);
    expect(codeOf('a string')).toBe(undefined);
    // Names that exist on every object are not framework codes.
    expect(codeOf(fastifyError('toString'))).toBe(undefined);
    expect(codeOf(fastifyError('constructor'))).toBe(undefined);
  });
});

describe('toAppError: an unreachable backing service is 503 dependency_unavailable', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EAI_AGAIN',
    // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, too many connections.
    '57P01',
    '57P02',
    '57P03',
    '53300',
    // SQLSTATE class 08, connection exception.
    '08000',
    '08003',
    '08006',
    '08P01',
  ])('socket or SQLSTATE code %s', (code) => {
    const cause = Object.assign(new Error('driver error'), { code });
    const appError = toAppError(cause);
    expect(appError?.code).toBe('dependency_unavailable');
    expect(appError?.status).toBe(503);
    // Clients are told when to retry, and the operator's log keeps the driver's error.
    expect(appError?.options.retryAfterSeconds).toBe(5);
    expect(appError?.cause).toBe(cause);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Query read timeout',
    'Client has encountered a connection error and is not queryable',
    'Client was closed and is not queryable',
  ])('pg’s own connection failure, which has no code: %s', (message) => {
    expect(codeOf(new Error(message))).toBe('dependency_unavailable');
  });

  it('found through the cause chain, up to three levels deep', () => {
    const wrap = (cause: unknown, levels: number): unknown =>
      levels === 0 ? cause : wrap(new Error('wrapped', { cause }), levels - 1);
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    for (const levels of [1, 2, 3]) {
      expect(codeOf(wrap(refused, levels)), `${levels} levels`).toBe('dependency_unavailable');
    }
    // The search is bounded: a cycle or a very deep chain cannot keep the handler busy.
    expect(codeOf(wrap(refused, 4))).toBe(undefined);
    const cyclic: { message: string; cause?: unknown } = { message: 'loop' };
    cyclic.cause = cyclic;
    expect(codeOf(cyclic)).toBe(undefined);
  });

  it('near misses stay 500s: a bug is not an outage', () => {
    const notOutages = [
      // Other SQLSTATEs: a constraint violation, a syntax error, a lowercase or short class 08.
      '23505',
      '42601',
      '08',
      '0800',
      '080000',
      '08p01',
      'X08000',
      '57P04',
      'ECONNREFUSEDX',
      'ENOENT',
    ];
    for (const code of notOutages) {
      expect(codeOf(Object.assign(new Error('driver error'), { code })), code).toBe(undefined);
    }
    for (const message of [
      'the Connection terminated',
      'Query read timeout exceeded'.toLowerCase(),
      'relation "users" does not exist',
    ]) {
      expect(codeOf(new Error(message)), message).toBe(undefined);
    }
    // A code or message that is not a string is ignored, not coerced.
    expect(codeOf({ code: 8000 })).toBe(undefined);
    expect(codeOf({ code: ['08006'] })).toBe(undefined);
    // A cause that is null ends the search.
    expect(codeOf(new Error('wrapped', { cause: null }))).toBe(undefined);
    expect(codeOf({ message: ['Connection terminated'] })).toBe(undefined);
  });
});

describe('the error handler over HTTP', () => {
  async function appThrowing(error: unknown) {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) =>
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)),
    );
    const app = fastify({ loggerInstance: pino(stream) }) as unknown as FastifyInstance;
    registerErrorHandler(app);
    app.get('/fail', () => {
      throw error;
    });
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/fail' });
    await app.close();
    const logged = lines.map(
      (line) =>
        JSON.parse(line) as {
          level: number;
          msg: string;
          code?: string;
          err?: { message: string };
        },
    );
    return {
      res,
      body: res.json<ErrorBody>(),
      logged: logged.filter((l) => l.msg !== 'incoming request' && l.msg !== 'request completed'),
    };
  }

  it('a client error: its status and code, the envelope as JSON, no Retry-After, nothing logged', async () => {
    const { res, body, logged } = await appThrowing(new AppError('forbidden'));
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['retry-after']).toBeUndefined();
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId']);
    expect(body.error.code).toBe('forbidden');
    expect(logged).toEqual([]);
  });

  it('a refusal with a wait: Retry-After in seconds', async () => {
    const { res } = await appThrowing(new AppError('rate_limited', { retryAfterSeconds: 7 }));
    expect([res.statusCode, res.headers['retry-after']]).toEqual([429, '7']);
  });

  it('an outage: 503 with Retry-After, logged as a warning with its code', async () => {
    const { res, body, logged } = await appThrowing(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    expect([res.statusCode, res.headers['retry-after'], body.error.code]).toEqual([
      503,
      '5',
      'dependency_unavailable',
    ]);
    expect(logged.map((l) => [l.level, l.msg, l.code])).toEqual([
      [40, 'request failed', 'dependency_unavailable'],
    ]);
  });

  it('a bug: 500 internal_error with no detail, logged as an error', async () => {
    const { res, body, logged } = await appThrowing(new TypeError('secret detail'));
    expect([res.statusCode, body.error.code]).toEqual([500, 'internal_error']);
    expect(res.body).not.toContain('secret detail');
    expect(logged.map((l) => [l.level, l.msg, l.err?.message])).toEqual([
      [50, 'unhandled error', 'secret detail'],
    ]);
  });

  it('an AppError of status 500 is logged too (as a warning): the boundary is 500, not 501', async () => {
    const { res, logged } = await appThrowing(new AppError('internal_error'));
    expect(res.statusCode).toBe(500);
    expect(logged.map((l) => [l.level, l.msg, l.code])).toEqual([
      [40, 'request failed', 'internal_error'],
    ]);
  });
});
