import {
  linkedProvidersResponseSchema,
  providerListResponseSchema,
  type LinkedProvider,
  type ProviderListResponse,
} from '@portcullis/contract/federation';
import { apiJson, apiNoContent } from '../../api/api-client';

export type ConfiguredProvider = ProviderListResponse['providers'][number];

const withSignal = (signal?: AbortSignal) => (signal === undefined ? {} : { signal });

/** GET /api/auth/providers: public, so the sign-in page can ask it before anyone signs in. */
export async function listProvidersRequest(signal?: AbortSignal): Promise<ConfiguredProvider[]> {
  const { providers } = await apiJson('/api/auth/providers', providerListResponseSchema, {
    ...withSignal(signal),
    // An anonymous visitor has no session to renew: a 401 here is not a reason to refresh.
    renewSessionOn401: false,
  });
  return providers;
}

export async function linkedProvidersRequest(signal?: AbortSignal): Promise<LinkedProvider[]> {
  const { providers } = await apiJson('/api/account/providers', linkedProvidersResponseSchema, {
    ...withSignal(signal),
  });
  return providers;
}

/** Needs a recent sign-in: a 403 reauthentication_required opens the step-up dialog (api-client). */
export function unlinkProviderRequest(id: string): Promise<void> {
  return apiNoContent(`/api/account/providers/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/**
 * Where a round trip to the provider starts. It is followed as a top-level navigation (a plain
 * link), never fetched: the provider's pages must load in the window, and the server answers with
 * a redirect that sets the flow cookie.
 */
export function providerStartUrl(
  providerId: string,
  intent: 'sign-in' | 'link',
  remember = false,
): string {
  const query = new URLSearchParams({ intent });
  if (intent === 'sign-in') query.set('remember', String(remember));
  return `/api/auth/${encodeURIComponent(providerId)}/start?${query.toString()}`;
}
