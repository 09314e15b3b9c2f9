import { createHmac } from 'node:crypto';

/**
 * RFC 6238 (TOTP) as an authenticator app computes it, so a test can enrol from the secret the
 * page shows and sign in with real codes: HMAC-SHA1, 30-second steps, 6 digits (the defaults the
 * otpauth URI leaves implicit), over the RFC 4648 base32 secret.
 */

const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(input: string): Buffer {
  const clean = input.replace(/[\s=-]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of clean) {
    const index = base32Alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** RFC 4226 HOTP for one counter value, as RFC 6238 uses it. */
export function hotp(secret: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', secret).update(message).digest();
  // Dynamic truncation (RFC 4226 §5.3).
  const offset = (digest[digest.length - 1] ?? 0) & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The code for the step `stepOffset` steps from now (−1: the previous one, which servers allow). */
export function totp(base32Secret: string, stepOffset = 0, now = Date.now()): string {
  const counter = Math.floor(now / 1000 / 30) + stepOffset;
  return hotp(base32Decode(base32Secret), counter);
}
