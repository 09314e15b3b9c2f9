import { z } from 'zod';

/**
 * NIST SP 800-63B §5.1.1.2: at least 8 characters (we default to 12), at least 64 allowed, every
 * character allowed, no composition rules, no silent truncation. 256 is the cap so a single
 * request cannot make Argon2 hash megabytes.
 */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;
export const PASSWORD_MIN_LENGTH_DEFAULT = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** Length counts Unicode code points, as NIST asks, not UTF-16 units. */
export function passwordLength(password: string): number {
  return [...password].length;
}

export function passwordSchema(minLength: number = PASSWORD_MIN_LENGTH_DEFAULT) {
  return z
    .string()
    .refine((value) => passwordLength(value) >= minLength, {
      message: `Use at least ${minLength} characters.`,
    })
    .refine((value) => passwordLength(value) <= PASSWORD_MAX_LENGTH, {
      message: `Use at most ${PASSWORD_MAX_LENGTH} characters.`,
    });
}
