import type { SecureVersion } from 'node:tls';

/**
 * What the HTTPS listener accepts (ASVS 12.1.1, 12.1.2): TLS 1.2 and 1.3 only, and for TLS 1.2
 * only ECDHE key exchange with an AEAD cipher, the Mozilla "intermediate" list that
 * deploy/nginx.conf uses too. Node's default list still offers CBC suites (Lucky13-style padding
 * oracles) and DHE; TLS 1.0 and 1.1 are off by default but stated here so no default can bring
 * them back. The TLS 1.3 suites are named as well: a list naming none would disable TLS 1.3.
 */
export const TLS_MIN_VERSION: SecureVersion = 'TLSv1.2';

export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
