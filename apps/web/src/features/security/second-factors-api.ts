import {
  factorsResponseSchema,
  passkeyRegisteredResponseSchema,
  recoveryCodesResponseSchema,
  totpEnrolmentResponseSchema,
  webAuthnOptionsResponseSchema,
  type FactorsResponse,
  type PasskeyRegisteredResponse,
  type RegisterPasskeyBody,
  type TotpEnrolmentResponse,
} from '@portcullis/contract/second-factors';
import { apiJson, apiNoContent } from '../../api/api-client';

/*
 * The account's own second factors. Adding, removing and regenerating are sensitive: the server
 * may answer `reauthentication_required`, and the API client then asks for step-up and repeats
 * the request, so nothing here handles it.
 */

export function factorsRequest(signal?: AbortSignal): Promise<FactorsResponse> {
  return apiJson('/api/account/factors', factorsResponseSchema, {
    ...(signal === undefined ? {} : { signal }),
  });
}

export function startTotpRequest(): Promise<TotpEnrolmentResponse> {
  return apiJson('/api/account/totp', totpEnrolmentResponseSchema, { method: 'POST', body: {} });
}

/** Recovery codes when this is the account's first factor, otherwise null. */
export async function confirmTotpRequest(code: string): Promise<string[] | null> {
  const { recoveryCodes } = await apiJson(
    '/api/account/totp/confirm',
    recoveryCodesResponseSchema,
    { method: 'POST', body: { code } },
  );
  return recoveryCodes;
}

export function removeTotpRequest(): Promise<void> {
  return apiNoContent('/api/account/totp', { method: 'DELETE' });
}

/** A new set; the old codes stop working at once. */
export async function regenerateRecoveryCodesRequest(): Promise<string[]> {
  const { recoveryCodes } = await apiJson(
    '/api/account/recovery-codes',
    recoveryCodesResponseSchema,
    {
      method: 'POST',
      body: {},
    },
  );
  return recoveryCodes ?? [];
}

export async function passkeyRegistrationOptionsRequest(): Promise<Record<string, unknown>> {
  const { options } = await apiJson(
    '/api/account/passkeys/options',
    webAuthnOptionsResponseSchema,
    {
      method: 'POST',
      body: {},
    },
  );
  return options;
}

export function registerPasskeyRequest(
  body: RegisterPasskeyBody,
): Promise<PasskeyRegisteredResponse> {
  return apiJson('/api/account/passkeys', passkeyRegisteredResponseSchema, {
    method: 'POST',
    body,
  });
}

export function renamePasskeyRequest(id: string, name: string): Promise<void> {
  return apiNoContent(`/api/account/passkeys/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: { name },
  });
}

export function removePasskeyRequest(id: string): Promise<void> {
  return apiNoContent(`/api/account/passkeys/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
