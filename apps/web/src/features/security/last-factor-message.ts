import { ApiError } from '../../api/api-error';
import { failureMessage } from '../../lib/failure-message';

/**
 * Removing the last factor of a role that requires one is refused with `mfa_enrollment_required`,
 * whose catalogue sentence ("set one up to continue") is written for sign-in: here the user needs
 * to hear that another factor must come first.
 */
export function lastFactorMessage(error: unknown): string {
  return error instanceof ApiError && error.code === 'mfa_enrollment_required'
    ? 'Your role requires a second factor: add another one before removing this one.'
    : failureMessage(error);
}
