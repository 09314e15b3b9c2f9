import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** 256 bits from the CSPRNG, URL-safe: for refresh tokens and other bearer secrets. */
export function newBearerSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Bearer secrets are stored only as this digest; the secret itself never reaches the database. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** UUID v4: 122 random bits, so ids cannot be guessed or enumerated. */
export function newId(): string {
  return randomUUID();
}
