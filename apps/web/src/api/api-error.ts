import { errorCatalogue, type ErrorCode, type FieldError } from '@portcullis/contract/errors';

/**
 * Failures that never reach the server, so the shared catalogue has no code for them. They live
 * here, next to the catalogue's codes, so every message the user sees is still chosen by code.
 */
const clientErrorMessages = {
  network_error: 'Could not reach the server. Check your connection and try again.',
  unexpected_response:
    'The server sent an answer this page does not understand. Reload and try again.',
} as const;

export type ClientErrorCode = keyof typeof clientErrorMessages;
export type ApiErrorCode = ErrorCode | ClientErrorCode;

/** Codes whose wait the server states in Retry-After; the message names the wait instead. */
const waitMessages: Partial<Record<ApiErrorCode, string>> = {
  too_many_attempts: 'Too many sign-in attempts.',
  rate_limited: 'Too many requests.',
  server_busy: 'The server is busy.',
};

/** The first sentence for a refusal that comes with a wait, or undefined for other codes. */
export function waitMessageFor(code: ApiErrorCode): string | undefined {
  return waitMessages[code];
}

export function messageForCode(code: ApiErrorCode): string {
  return Object.hasOwn(clientErrorMessages, code)
    ? clientErrorMessages[code as ClientErrorCode]
    : errorCatalogue[code as ErrorCode].message;
}

/**
 * The one error type the API client throws. Callers branch on `code`, never on `message`, and the
 * message is always ours (picked from the catalogue), never text from the response.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ApiErrorCode,
    readonly status: number,
    readonly details: {
      fields?: readonly FieldError[];
      retryAfterSeconds?: number;
      /** Wrong passwords left before sign-in pauses (sent with invalid_credentials). */
      attemptsRemaining?: number;
      requestId?: string;
      cause?: unknown;
    } = {},
  ) {
    super(messageForCode(code), { cause: details.cause });
  }

  get fields(): readonly FieldError[] {
    return this.details.fields ?? [];
  }

  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }

  get attemptsRemaining(): number | undefined {
    return this.details.attemptsRemaining;
  }

  get requestId(): string | undefined {
    return this.details.requestId;
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

function describeWait(seconds: number): string {
  if (seconds < 90) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** The sentence to show for any failure; unknown throwables get the generic catalogue message. */
export function userMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return errorCatalogue.internal_error.message;
  const wait = waitMessages[error.code];
  if (wait !== undefined && error.retryAfterSeconds !== undefined) {
    return `${wait} Try again in ${describeWait(error.retryAfterSeconds)}.`;
  }
  return error.message;
}
