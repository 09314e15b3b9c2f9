/**
 * The one catalogue of error codes. The server answers every failure with one of these codes and
 * the browser picks its message by code, so neither side ever parses English.
 */
export const errorCatalogue = {
  validation_failed: { status: 400, message: 'The request is not valid.' },
  weak_password: { status: 400, message: 'Choose a stronger password.' },
  breached_password: {
    status: 400,
    message: 'This password is too common or has appeared in a data breach. Choose another.',
  },
  invalid_token: {
    status: 400,
    message: 'This link is invalid or has expired. Ask for a new one.',
  },
  invalid_credentials: { status: 401, message: 'The email or password is incorrect.' },
  unauthenticated: { status: 401, message: 'Sign in to continue.' },
  csrf_failed: { status: 403, message: 'The request could not be verified. Reload and try again.' },
  wrong_origin: {
    status: 403,
    message: 'This page was opened at an address the server does not serve.',
  },
  email_not_verified: {
    status: 403,
    message: 'Confirm your email address first: follow the link we sent you.',
  },
  forbidden: { status: 403, message: 'You do not have permission to do this.' },
  cross_site_request: {
    status: 403,
    message: 'This request came from another site and was refused.',
  },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  email_taken: { status: 409, message: 'An account with this email already exists.' },
  last_admin: {
    status: 409,
    message: 'The last active administrator cannot be demoted, disabled or deleted.',
  },
  invalid_second_factor: {
    status: 401,
    message: 'That code or passkey was not accepted. Try again.',
  },
  reauthentication_required: {
    status: 403,
    message: 'Confirm it is you to continue: enter your password, a code or use a passkey.',
  },
  mfa_enrollment_required: {
    status: 403,
    message: 'Your role requires a second factor. Set one up to continue.',
  },
  password_reset_required: {
    status: 403,
    message: 'Your password must be reset before you sign in. We have emailed you a link.',
  },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Send the body as application/json.' },
  rate_limited: { status: 429, message: 'Too many requests. Try again later.' },
  too_many_attempts: { status: 429, message: 'Too many sign-in attempts. Try again later.' },
  internal_error: { status: 500, message: 'Something went wrong on our side.' },
  server_busy: { status: 503, message: 'The server is busy. Try again shortly.' },
  dependency_unavailable: {
    status: 503,
    message: 'A service we depend on is unavailable. Try again shortly.',
  },
  // The API over plain HTTP, from the redirect-only listener or the proxy's port 80: refused,
  // not redirected (ASVS 5.0 4.1.2), so a misconfigured client fails at once.
  https_required: { status: 403, message: 'The API answers over HTTPS only.' },
  // Answered by the proxy (deploy/nginx.conf) when no instance answers: none reachable, or none
  // in time. The request may or may not have been applied when it timed out.
  upstream_unavailable: {
    status: 502,
    message: 'The service cannot be reached right now. Try again shortly.',
  },
  upstream_timeout: {
    status: 504,
    message: 'The service took too long to answer. Try again shortly.',
  },
  // Refusals Node's HTTP parser makes before any route runs (lib/client-error-response.ts).
  bad_request: { status: 400, message: 'The request is malformed.' },
  request_timeout: { status: 408, message: 'The request took too long to arrive.' },
  header_too_large: { status: 431, message: 'The request headers are too large.' },
  // Sign-in with a provider (ADR 016). Most end a redirect (`/sign-in?error=<code>`), not a JSON
  // answer; the status is what the code would be answered with as JSON.
  provider_denied: { status: 401, message: 'The sign-in was cancelled at the provider.' },
  provider_failed: {
    status: 401,
    message: 'The provider’s answer could not be verified. Try again.',
  },
  provider_unavailable: {
    status: 503,
    message: 'The provider cannot be reached right now. Try again shortly.',
  },
  provider_flow_invalid: {
    status: 400,
    message: 'This sign-in was not started in this browser, or was already used. Start again.',
  },
  provider_flow_expired: {
    status: 400,
    message: 'The sign-in took too long. Start again.',
  },
  provider_no_account: {
    status: 403,
    message: 'No account uses this provider, and a new one cannot be created with it.',
  },
  provider_account_exists: {
    status: 409,
    message:
      'An account with this email already exists. Sign in to it, then link the provider from Security.',
  },
  provider_already_linked: {
    status: 409,
    message: 'This provider account is already linked to an account.',
  },
  last_way_in: {
    status: 409,
    message: 'This is the only way to sign in to your account. Add another before removing it.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];

export interface FieldError {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    requestId: string;
    fields?: FieldError[];
    /** With `wrong_origin`: the address to open instead (the server's public origin). */
    openAt?: string;
    /** With `invalid_credentials` at sign-in: wrong passwords this client has left. */
    attemptsRemaining?: number;
  };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}
