import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import path from 'node:path';
import { connect, type SecureVersion } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cbcCiphers,
  legacyProtocolCiphers,
  modernTls12Ciphers,
  nonForwardSecretCiphers,
} from '../../src/selftest/tls-checks.js';
import { freePort, startInstance, type Instance } from '../support/live-processes.js';

/**
 * ASVS 12.1.1 and 12.1.2 for the server's own HTTPS listener (lib/tls-policy.ts, set in
 * server.ts): TLS 1.2 and 1.3 only, and for 1.2 only ECDHE with AES-GCM or ChaCha20-Poly1305.
 * Each refused handshake is first shown to succeed against a server on Node's defaults (or
 * with TLS 1.0 allowed), so a refusal is the policy's doing, not a client that cannot offer it.
 */

type Handshake = { ok: true; protocol: string; cipher: string } | { ok: false; reason: string };

function handshake(
  port: number,
  limits: { minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string },
): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      rejectUnauthorized: false,
      ...limits,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, reason: 'timeout' });
    }, 5000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const result: Handshake = {
        ok: true,
        protocol: socket.getProtocol() ?? '',
        cipher: socket.getCipher().name,
      };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', (error: Error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: error.message });
    });
  });
}

const tls10 = { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: legacyProtocolCiphers } as const;
const tls11 = {
  minVersion: 'TLSv1.1',
  maxVersion: 'TLSv1.1',
  ciphers: legacyProtocolCiphers,
} as const;
const cbc = { maxVersion: 'TLSv1.2', ciphers: `${cbcCiphers}:@SECLEVEL=0` } as const;
const staticRsa = { maxVersion: 'TLSv1.2', ciphers: nonForwardSecretCiphers } as const;

describe('the HTTPS listener allows only TLS 1.2 and 1.3 with forward-secret AEAD suites', () => {
  let instance: Instance;
  let lax: Server;
  let laxPort: number;

  beforeAll(async () => {
    instance = await startInstance({ HTTP_PORT: '0' });
    // The control: the same certificate on Node's defaults, with TLS 1.0 allowed.
    const certDir = instance.dataDir;
    laxPort = await freePort();
    lax = createServer({
      cert: readFileSync(path.join(certDir, 'dev-cert.pem')),
      key: readFileSync(path.join(certDir, 'dev-key.pem')),
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    await new Promise<void>((resolve) => lax.listen(laxPort, '127.0.0.1', resolve));
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => lax.close(resolve));
    await instance.stop();
  });

  it.each([
    ['TLS 1.0', tls10],
    ['TLS 1.1', tls11],
    ['a CBC suite over TLS 1.2', cbc],
    ['a static-RSA (no forward secrecy) suite over TLS 1.2', staticRsa],
  ])('ASVS 12.1.1/12.1.2: %s is refused (a lax server accepts it)', async (_what, limits) => {
    expect(await handshake(laxPort, limits)).toMatchObject({ ok: true });
    const refused = await handshake(instance.port, limits);
    expect(refused.ok).toBe(false);
  });

  it('ASVS 12.1.2: TLS 1.2 with ECDHE and AES-GCM is accepted', async () => {
    const result = await handshake(instance.port, {
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    expect(result).toEqual({
      ok: true,
      protocol: 'TLSv1.2',
      cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    const anyModern = await handshake(instance.port, {
      maxVersion: 'TLSv1.2',
      ciphers: modernTls12Ciphers,
    });
    expect(anyModern).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
  });

  it('ASVS 12.1.1: TLS 1.3 is accepted, and preferred by a client that offers everything', async () => {
    const result = await handshake(instance.port, { minVersion: 'TLSv1.3' });
    expect(result).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
    expect(await handshake(instance.port, {})).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });
});
