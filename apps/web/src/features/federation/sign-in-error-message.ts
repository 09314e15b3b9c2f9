import { federationErrorCodes, type FederationErrorCode } from '@portcullis/contract/federation';
import type { SecondFactorMethod } from '@portcullis/contract/second-factors';
import { messageForCode } from '../../api/api-error';

/**
 * The sentence for `?error=<code>` after a provider round trip, or undefined when the query holds
 * no code of ours: the URL is anyone's to type, so only the fixed set is ever shown, and always
 * in our own words from the error catalogue, never text from the address bar.
 */
export function federationErrorMessage(code: string | null): string | undefined {
  if (code === null || !isFederationErrorCode(code)) return undefined;
  return messageForCode(code);
}

export function isFederationErrorCode(code: string): code is FederationErrorCode {
  return (federationErrorCodes as readonly string[]).includes(code);
}

// Listed here rather than parsed with the contract's schema: that module stays out of the first
// page's bundle (auth-api.ts fetches it on demand).
const knownMethods: readonly SecondFactorMethod[] = ['totp', 'recovery', 'passkey'];

/**
 * `?second-factor=totp,recovery,passkey`, as the provider callback redirects with: the methods
 * the pending sign-in accepts, in the server's order; unknown names are dropped, and none at all
 * means the step cannot be shown (null).
 */
export function secondFactorMethodsFrom(value: string | null): SecondFactorMethod[] | null {
  if (value === null) return null;
  const methods = new Set<SecondFactorMethod>();
  for (const name of value.split(',')) {
    const known = knownMethods.find((method) => method === name);
    if (known !== undefined) methods.add(known);
  }
  return methods.size === 0 ? null : [...methods];
}
