import { fail, pass, skip, verdict, type CheckGroup, type CheckResult } from './selftest-types.js';

/**
 * Cipher suites a client offers to see whether the server takes them. OpenSSL 3 refuses to offer
 * TLS 1.0/1.1 or SHA-1 suites at its default security level, so the probes lower it: otherwise a
 * refusal could be our own client's, and the check would pass whatever the server accepts.
 */
export const legacyProtocolCiphers = 'DEFAULT:@SECLEVEL=0';
/** CBC (MAC-then-encrypt, no AEAD): Lucky13-style padding oracles; Mozilla "intermediate" drops them. */
export const cbcCiphers = [
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'DHE-RSA-AES128-SHA256',
  'DHE-RSA-AES256-SHA256',
  'AES128-SHA256',
  'AES256-SHA256',
  'AES128-SHA',
  'AES256-SHA',
].join(':');
/** Static RSA key exchange: AEAD, but one stolen key decrypts every recorded session. */
export const nonForwardSecretCiphers = 'AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-CCM:AES256-CCM';
/** What a TLS 1.2 client should get: ECDHE with an AEAD cipher. */
export const modernTls12Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const fixProtocols =
  "allow only TLS 1.2 and 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3; Node: minVersion 'TLSv1.2')";
const fixCiphers =
  'allow only ECDHE suites with AES-GCM or ChaCha20-Poly1305 for TLS 1.2 (Mozilla "intermediate")';

/** A certificate that expires within this is a failure: renewal has evidently stopped. */
const EXPIRY_MARGIN_DAYS = 14;

export const tlsChecks: CheckGroup = async ({ client, options }) => {
  const results: CheckResult[] = [];
  const best = await client.handshake({});
  if (!best.ok) {
    return [
      fail(
        'tls-handshake',
        'TLS handshake',
        ['12.2.1'],
        `no TLS handshake with ${options.url.host}: ${best.reason}`,
      ),
    ];
  }

  // ASVS 12.1.1: only 1.2 and 1.3, and the latest preferred.
  const [tls10, tls11, tls12] = await Promise.all([
    client.handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: legacyProtocolCiphers }),
    client.handshake({
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: legacyProtocolCiphers,
    }),
    client.handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: modernTls12Ciphers }),
  ]);
  const protocolProblems: string[] = [];
  if (tls10.ok) protocolProblems.push(`TLS 1.0 is accepted; ${fixProtocols}`);
  if (tls11.ok) protocolProblems.push(`TLS 1.1 is accepted; ${fixProtocols}`);
  if (best.protocol !== 'TLSv1.3') {
    protocolProblems.push(`a modern client gets ${best.protocol}; enable TLS 1.3 and prefer it`);
  }
  results.push(
    verdict(
      'tls-protocols',
      'TLS 1.2 and 1.3 only, 1.3 preferred',
      ['12.1.1'],
      protocolProblems,
      `${best.protocol} negotiated; TLS 1.0 and 1.1 refused${tls12.ok ? '; TLS 1.2 with ECDHE-GCM' : ''}`,
    ),
  );

  // ASVS 12.1.2 (and its L3 forward-secrecy clause): only forward-secret AEAD suites.
  const [cbc, staticRsa] = await Promise.all([
    client.handshake({ maxVersion: 'TLSv1.2', ciphers: `${cbcCiphers}:@SECLEVEL=0` }),
    client.handshake({ maxVersion: 'TLSv1.2', ciphers: nonForwardSecretCiphers }),
  ]);
  const cipherProblems: string[] = [];
  if (cbc.ok) cipherProblems.push(`a CBC suite is accepted (${cbc.cipher}); ${fixCiphers}`);
  if (staticRsa.ok) {
    cipherProblems.push(
      `a suite without forward secrecy is accepted (${staticRsa.cipher}); ${fixCiphers}`,
    );
  }
  results.push(
    verdict(
      'tls-cipher-suites',
      'forward-secret AEAD cipher suites only',
      ['12.1.2'],
      cipherProblems,
      `${best.cipher}; CBC and static-RSA suites refused`,
    ),
  );

  // The certificate: valid now and for a while, for this host, from a trusted issuer.
  const certificate = best.certificate;
  const certificateProblems: string[] = [];
  const validTo = Date.parse(certificate.valid_to);
  const daysLeft = Math.floor((validTo - Date.now()) / 86_400_000);
  if (Number.isNaN(validTo)) certificateProblems.push('the certificate has no readable expiry');
  else if (daysLeft < EXPIRY_MARGIN_DAYS) {
    certificateProblems.push(
      `the certificate ${daysLeft < 0 ? 'has expired' : `expires in ${daysLeft} days`}; renew it (and check that renewal runs by itself)`,
    );
  }
  if (options.insecure) {
    results.push(
      skip(
        'tls-certificate',
        'certificate trusted and valid for the host',
        ['12.2.1'],
        '--insecure: the certificate was not verified',
      ),
    );
  } else {
    if (!best.authorized) {
      certificateProblems.push(
        `the certificate is not trusted for ${options.url.hostname} (${best.authorizationError ?? 'unknown reason'}); install a certificate for this host name with its full chain`,
      );
    }
    results.push(
      verdict(
        'tls-certificate',
        'certificate trusted and valid for the host',
        ['12.2.1'],
        certificateProblems,
        `valid for ${daysLeft} more days`,
      ),
    );
  }
  results.push(
    options.ca !== undefined || options.insecure
      ? skip(
          'tls-certificate-public',
          'publicly trusted certificate',
          ['12.2.2'],
          options.insecure
            ? '--insecure: not verified'
            : 'verified against --ca, not the public roots',
        )
      : best.authorized
        ? pass('tls-certificate-public', 'publicly trusted certificate', ['12.2.2'])
        : fail(
            'tls-certificate-public',
            'publicly trusted certificate',
            ['12.2.2'],
            'the certificate does not chain to a public root; use one from a public CA (e.g. Let\u2019s Encrypt)',
          ),
  );
  return results;
};
