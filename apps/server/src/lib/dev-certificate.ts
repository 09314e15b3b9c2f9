import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A self-signed certificate for https://localhost so `npm start` serves HTTPS with zero setup.
 * Browsers warn about it; a real deployment sets TLS_CERT_FILE/TLS_KEY_FILE or runs behind a proxy.
 */
export async function ensureDevCertificate(certFile: string, keyFile: string): Promise<void> {
  if (existsSync(certFile) && existsSync(keyFile)) return;
  // Loaded only when a certificate is made: its crypto library costs a tenth of a second at start-up.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  // Public, but every file the server writes under its data directory is owner-only.
  writeFileSync(certFile, pems.cert, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  chmodSync(certFile, 0o600);
}
