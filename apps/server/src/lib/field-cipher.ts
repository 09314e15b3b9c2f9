import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Secrets the server must read back (a TOTP key) are stored encrypted: AES-256-GCM under a key
 * derived (HKDF-SHA-256) from one of `ENCRYPTION_KEYS`, newest first. The stored form names the
 * key by a short id, so a key can be rotated: the newest encrypts, every listed one decrypts, and
 * a value read under an older key is re-encrypted under the newest at its next use. The record's
 * identity (user id and kind) is bound as additional data, so a ciphertext copied to another row
 * does not decrypt.
 */
export class FieldCipher {
  private readonly keys: { id: string; key: Buffer }[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('at least one encryption key is needed');
    this.keys = secrets.map((secret) => ({
      id: createHash('sha256').update(secret).digest('hex').slice(0, 8),
      key: Buffer.from(hkdfSync('sha256', secret, '', 'portcullis field encryption v1', 32)),
    }));
  }

  encrypt(plaintext: Buffer, context: string): string {
    const { id, key } = this.newest;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const parts = [iv, data, cipher.getAuthTag()].map((part) => part.toString('base64url'));
    return ['v1', id, ...parts].join('.');
  }

  /** The plaintext, and whether it was under an older key (the caller re-encrypts it). */
  decrypt(stored: string, context: string): { plaintext: Buffer; stale: boolean } {
    const [version, id, iv, data, tag] = stored.split('.');
    const entry = this.keys.find((candidate) => candidate.id === id);
    if (
      version !== 'v1' ||
      entry === undefined ||
      iv === undefined ||
      data === undefined ||
      tag === undefined
    ) {
      throw new Error('encrypted field: unknown format or key');
    }
    const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plaintext = Buffer.concat([
      decipher.update(Buffer.from(data, 'base64url')),
      decipher.final(),
    ]);
    return { plaintext, stale: entry !== this.newest };
  }

  private get newest(): { id: string; key: Buffer } {
    const [first] = this.keys;
    if (first === undefined) throw new Error('no encryption key');
    return first;
  }
}
