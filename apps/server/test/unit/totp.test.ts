import { describe, expect, it } from 'vitest';
import { FieldCipher } from '../../src/lib/field-cipher.js';
import { matchTotp, totpCode, totpStepAt } from '../../src/lib/totp.js';

// RFC 6238 Appendix B's SHA-1 key, "12345678901234567890" in ASCII.
const rfcKey = new TextEncoder().encode('12345678901234567890');

describe('TOTP (RFC 6238)', () => {
  it('computes the RFC test vectors (the last six digits of the eight-digit values)', () => {
    expect(totpCode(rfcKey, 59_000)).toBe('287082');
    expect(totpCode(rfcKey, 1_111_111_109_000)).toBe('081804');
    expect(totpCode(rfcKey, 1_234_567_890_000)).toBe('005924');
    expect(totpCode(rfcKey, 2_000_000_000_000)).toBe('279037');
  });

  it('accepts one step either side and no further', () => {
    const now = 1_700_000_015_000;
    const step = totpStepAt(now);
    for (const offset of [-1, 0, 1]) {
      expect(matchTotp(rfcKey, totpCode(rfcKey, now + offset * 30_000), now, null)).toBe(
        step + offset,
      );
    }
    for (const offset of [-2, 2, -10, 10]) {
      expect(matchTotp(rfcKey, totpCode(rfcKey, now + offset * 30_000), now, null)).toBeUndefined();
    }
  });

  it('refuses a step at or before the last one accepted (replay)', () => {
    const now = 1_700_000_015_000;
    const step = totpStepAt(now);
    const code = totpCode(rfcKey, now);
    expect(matchTotp(rfcKey, code, now, step - 1)).toBe(step);
    expect(matchTotp(rfcKey, code, now, step)).toBeUndefined();
    expect(matchTotp(rfcKey, totpCode(rfcKey, now - 30_000), now, step)).toBeUndefined();
    expect(matchTotp(rfcKey, totpCode(rfcKey, now + 30_000), now, step)).toBe(step + 1);
  });

  it('refuses anything but six digits', () => {
    for (const code of ['', '12345', '1234567', 'abcdef', ' 28708', '２８７０８２']) {
      expect(matchTotp(rfcKey, code, 59_000, null)).toBeUndefined();
    }
  });
});

describe('FieldCipher', () => {
  const secret = 'k'.repeat(40);
  it('round-trips, binds the record it belongs to, and names its key', () => {
    const cipher = new FieldCipher([secret]);
    const stored = cipher.encrypt(Buffer.from('top secret'), 'totp:alice');
    expect(stored).toMatch(/^v1\.[0-9a-f]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(cipher.decrypt(stored, 'totp:alice')).toEqual({
      plaintext: Buffer.from('top secret'),
      stale: false,
    });
    expect(() => cipher.decrypt(stored, 'totp:mallory')).toThrow();
    // A changed ciphertext byte (the first character of the data part: no padding bits there).
    const parts = stored.split('.');
    const data = parts[3] ?? '';
    parts[3] = `${data.startsWith('A') ? 'B' : 'A'}${data.slice(1)}`;
    expect(() => cipher.decrypt(parts.join('.'), 'totp:alice')).toThrow();
  });

  it('rotates: a new key first still opens the old values (stale), and without the old key they are lost', () => {
    const old = new FieldCipher([secret]);
    const stored = old.encrypt(Buffer.from('value'), 'ctx');
    const rotated = new FieldCipher(['n'.repeat(40), secret]);
    expect(rotated.decrypt(stored, 'ctx')).toEqual({
      plaintext: Buffer.from('value'),
      stale: true,
    });
    expect(rotated.decrypt(rotated.encrypt(Buffer.from('value'), 'ctx'), 'ctx').stale).toBe(false);
    expect(() => new FieldCipher(['n'.repeat(40)]).decrypt(stored, 'ctx')).toThrow();
  });
});
