import {
  signInResponseSchema,
  webAuthnOptionsResponseSchema,
  type SecondFactorBody,
} from '@portcullis/contract/second-factors';
import { apiJson } from '../../api/api-client';
import { getPasskey, supportsPasskeyAutofill } from '../../lib/webauthn';
import { toOutcome, type SignInOutcome } from './auth-api';

/*
 * Sign-in beyond the password: the second step and passkeys. Imported on demand (the sign-in page
 * loads it when a passkey or a second step is needed), with the WebAuthn library it uses.
 */

/** The second step with a code; the password step's pending state travels in its cookie. */
export async function secondFactorRequest(body: SecondFactorBody): Promise<SignInOutcome> {
  return toOutcome(
    await apiJson('/api/login/second-factor', signInResponseSchema, {
      method: 'POST',
      body,
      renewSessionOn401: false,
    }),
  );
}

/** Options for a passkey sign-in: any passkey of the site, or the pending user's only. */
async function passkeySignInOptionsRequest(signal?: AbortSignal): Promise<Record<string, unknown>> {
  const { options } = await apiJson('/api/login/passkey/options', webAuthnOptionsResponseSchema, {
    method: 'POST',
    body: {},
    renewSessionOn401: false,
    ...(signal === undefined ? {} : { signal }),
  });
  return options;
}

interface PasskeySignInOptions {
  /** "Keep me signed in", read when the passkey is used (autofill may wait a long time). */
  remember: () => boolean;
  /** Offer the passkeys among the email field's suggestions instead of a prompt. */
  autofill?: boolean;
  signal?: AbortSignal;
}

/**
 * A passkey signs in alone, or completes the second step of a pending password sign-in (then the
 * server offers only that user's passkeys). Resolves with the outcome, or null when `autofill`
 * was asked for and the browser cannot do it.
 */
export async function signInWithPasskey({
  remember,
  autofill = false,
  signal,
}: PasskeySignInOptions): Promise<SignInOutcome | null> {
  if (autofill && !(await supportsPasskeyAutofill())) return null;
  const options = await passkeySignInOptionsRequest(signal);
  if (signal?.aborted === true) return null;
  const response = await getPasskey(options, { autofill });
  return toOutcome(
    await apiJson('/api/login/passkey', signInResponseSchema, {
      method: 'POST',
      body: { response, remember: remember() },
      renewSessionOn401: false,
    }),
  );
}
