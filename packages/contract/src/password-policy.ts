import { z } from 'zod';

/**
 * NIST SP 800-63B §5.1.1.2: at least 8 characters (we default to 12), at least 64 allowed, every
 * character allowed, no composition rules, no silent truncation. 256 is the cap so a single
 * request cannot make Argon2 hash megabytes.
 */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;
export const PASSWORD_MIN_LENGTH_DEFAULT = 12;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * The refusal of a password that is not well-formed Unicode (a lone UTF-16 surrogate, which no
 * keyboard types). Browser and server show this same text under the field, with the code
 * `validation_failed`.
 */
export const PASSWORD_ILL_FORMED_MESSAGE =
  'This password contains characters that are not valid text. Type it again.';

/** ES2024's String.prototype.isWellFormed; the lib here is ES2023, and older browsers lack it. */
function isWellFormed(value: string): boolean {
  const withCheck = value as string & { isWellFormed?: () => boolean };
  // Without the method: in `u` mode a paired surrogate is one code point, so only a lone one is Cs.
  return typeof withCheck.isWellFormed === 'function'
    ? withCheck.isWellFormed()
    : !/\p{Cs}/u.test(value);
}

/**
 * The one form of a password that is checked, hashed and verified: NFKC (NIST SP 800-63B
 * §5.1.1.2), so "é" typed precomposed (NFC) or as "e" + combining accent (NFD, as some keyboards
 * and platforms send it) is the same password. Undefined for ill-formed text: a lone surrogate
 * would reach the hash as U+FFFD, so twelve different lone surrogates would all be one password.
 */
export function canonicalPassword(password: string): string | undefined {
  return isWellFormed(password) ? password.normalize('NFKC') : undefined;
}

/** Length counts Unicode code points of the canonical form, as NIST asks, not UTF-16 units. */
export function passwordLength(password: string): number {
  return [...(canonicalPassword(password) ?? password)].length;
}

/** A password typed to prove who you are (sign-in, current password): no policy, only text. */
export function enteredPasswordSchema(emptyMessage: string) {
  return z
    .string()
    .min(1, emptyMessage)
    .max(PASSWORD_MAX_LENGTH)
    .refine((value) => canonicalPassword(value) !== undefined, {
      message: PASSWORD_ILL_FORMED_MESSAGE,
    });
}

export function passwordSchema(minLength: number = PASSWORD_MIN_LENGTH_DEFAULT) {
  return z
    .string()
    .refine((value) => canonicalPassword(value) !== undefined, {
      message: PASSWORD_ILL_FORMED_MESSAGE,
      abort: true,
    })
    .refine((value) => passwordLength(value) >= minLength, {
      message: `Use at least ${minLength} characters.`,
    })
    .refine((value) => passwordLength(value) <= PASSWORD_MAX_LENGTH, {
      message: `Use at most ${PASSWORD_MAX_LENGTH} characters.`,
    });
}
