import { isErrorCode, type ErrorCode } from '@portcullis/contract/errors';
import { z, type ZodType } from 'zod';
import { ApiError, isAbortError } from './api-error';

const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    requestId: z.string().optional(),
    attemptsRemaining: z.number().int().nonnegative().optional(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** A reply without our error body (a proxy's page, say) still maps onto a catalogue code. */
function codeForStatus(status: number): ErrorCode | 'unexpected_response' {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'server_busy';
  if (status >= 500) return 'internal_error';
  return 'unexpected_response';
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export async function fetchOrThrow(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { ...init, credentials: 'same-origin' });
  } catch (error) {
    // An abort is the caller's decision and must stay recognisable as such.
    if (isAbortError(error)) throw error;
    throw new ApiError('network_error', 0, { cause: error });
  }
}

export async function toApiError(response: Response): Promise<ApiError> {
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) {
    return new ApiError(codeForStatus(response.status), response.status, { retryAfterSeconds });
  }
  const { code, fields, requestId, attemptsRemaining } = parsed.data.error;
  return new ApiError(isErrorCode(code) ? code : codeForStatus(response.status), response.status, {
    fields,
    requestId,
    retryAfterSeconds,
    ...(attemptsRemaining === undefined ? {} : { attemptsRemaining }),
  });
}

/** Responses are checked against the contract, so a drifted server fails loudly, not subtly. */
export async function readJson<T>(response: Response, schema: ZodType<T>): Promise<T> {
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ApiError('unexpected_response', response.status, { cause: error });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new ApiError('unexpected_response', response.status, { cause: parsed.error });
  }
  return parsed.data;
}
