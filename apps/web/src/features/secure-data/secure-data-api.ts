import { secureDataResponseSchema, type SecureDataResponse } from '@portcullis/contract/profile';
import { apiJson } from '../../api/api-client';

export function fetchSecureData(signal?: AbortSignal): Promise<SecureDataResponse> {
  return apiJson('/api/secure-data', secureDataResponseSchema, { signal });
}
