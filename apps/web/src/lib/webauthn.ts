import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  WebAuthnError,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';

/**
 * The browser's side of passkeys. Callers import this module with `import()`, so the WebAuthn
 * library is fetched only by someone who uses a passkey, never with the first page (bundle budget).
 */

/** Why a passkey prompt produced nothing, as the page words it. */
export type PasskeyProblem = 'unsupported' | 'cancelled' | 'already-registered' | 'failed';

export class PasskeyPromptError extends Error {
  override readonly name = 'PasskeyPromptError';
  constructor(
    readonly problem: PasskeyProblem,
    options?: { cause?: unknown },
  ) {
    super(passkeyProblemMessages[problem], options);
  }
}

export const passkeyProblemMessages: Record<PasskeyProblem, string> = {
  unsupported: 'This browser cannot use passkeys.',
  // Browsers report a closed prompt, a timeout and "no passkey here" alike, so one sentence says all.
  cancelled: 'No passkey was used: the prompt was closed, timed out, or found no passkey.',
  'already-registered': 'This passkey is already registered to your account.',
  failed: 'The passkey could not be used. Try again, or use another way.',
};

/** A ceremony the page ended itself (another one started, or the user left the page). */
export class PasskeyAbortedError extends Error {
  override readonly name = 'PasskeyAbortedError';
}

function classify(error: unknown): Error {
  if (error instanceof WebAuthnError) {
    if (error.code === 'ERROR_CEREMONY_ABORTED') return new PasskeyAbortedError(error.message);
    if (error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') {
      return new PasskeyPromptError('already-registered', { cause: error });
    }
    if (error.code === 'ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY') {
      return new PasskeyPromptError('cancelled', { cause: error });
    }
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new PasskeyAbortedError(error.message);
  }
  if (error instanceof Error && error.name === 'NotAllowedError') {
    return new PasskeyPromptError('cancelled', { cause: error });
  }
  return new PasskeyPromptError('failed', { cause: error });
}

/**
 * The server built the options with @simplewebauthn/server, so they are the JSON form the browser
 * library expects; the contract only bounds them as an object, and the library checks the rest.
 */
function asRequestOptions(options: Record<string, unknown>): PublicKeyCredentialRequestOptionsJSON {
  return options as unknown as PublicKeyCredentialRequestOptionsJSON;
}

function asCreationOptions(
  options: Record<string, unknown>,
): PublicKeyCredentialCreationOptionsJSON {
  return options as unknown as PublicKeyCredentialCreationOptionsJSON;
}

/** The WebAuthn JSON the server verifies; spread into a plain object for the contract's type. */
export interface PasskeyJson {
  id: string;
  type: 'public-key';
  [key: string]: unknown;
}

/** Asks for a passkey: the browser's prompt, or with `autofill` the email field's suggestions. */
export async function getPasskey(
  options: Record<string, unknown>,
  { autofill = false }: { autofill?: boolean } = {},
): Promise<PasskeyJson> {
  if (!browserSupportsWebAuthn()) throw new PasskeyPromptError('unsupported');
  try {
    const response = await startAuthentication({
      optionsJSON: asRequestOptions(options),
      useBrowserAutofill: autofill,
    });
    return { ...response };
  } catch (error) {
    throw classify(error);
  }
}

/** Creates a passkey for the signed-in account. */
export async function createPasskey(options: Record<string, unknown>): Promise<PasskeyJson> {
  if (!browserSupportsWebAuthn()) throw new PasskeyPromptError('unsupported');
  try {
    const response = await startRegistration({ optionsJSON: asCreationOptions(options) });
    return { ...response };
  } catch (error) {
    throw classify(error);
  }
}

/** Whether the email field can offer passkeys among its suggestions (WebAuthn conditional UI). */
export function supportsPasskeyAutofill(): Promise<boolean> {
  return browserSupportsWebAuthnAutofill();
}

/**
 * Ends a waiting ceremony. A conditional (autofill) request waits for as long as the page is open,
 * so leaving the sign-in page must end it, or the next page could not start one of its own.
 */
export function cancelPasskeyPrompt(): void {
  WebAuthnAbortService.cancelCeremony();
}

export function isPasskeyAborted(error: unknown): boolean {
  return error instanceof PasskeyAbortedError;
}
