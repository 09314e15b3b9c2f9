import { errorCatalogue, type ErrorCode, type FieldError } from '@portcullis/contract/errors';

/**
 * The only error type a route, service or plugin throws on purpose. It carries a stable code from
 * the shared catalogue; the error handler turns it into the public body and never shows anything
 * else (no message from a library, no stack, no SQL).
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly options: {
      message?: string;
      fields?: FieldError[];
      /** Seconds, sent as Retry-After on 429 and 503. */
      retryAfterSeconds?: number;
      /** With `invalid_credentials` at sign-in: wrong passwords left before the pause. */
      attemptsRemaining?: number;
      /** The public origin, sent with `wrong_origin`. */
      openAt?: string;
      cause?: unknown;
    } = {},
  ) {
    super(options.message ?? errorCatalogue[code].message, { cause: options.cause });
    this.name = 'AppError';
    this.status = errorCatalogue[code].status;
  }
}
