import {
  canonicalPassword,
  PASSWORD_ILL_FORMED_MESSAGE,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH_FLOOR,
  passwordLength,
} from '@portcullis/contract/password-policy';
import {
  breachedPasswordCount,
  isBreachedPassword,
  normalizeForComparison,
} from './breached-passwords.js';

export interface PasswordContext {
  email?: string;
  name?: string;
}

export type PasswordCheckResult =
  | { ok: true }
  | {
      ok: false;
      code: 'weak_password' | 'breached_password' | 'validation_failed';
      message: string;
    };

export interface PasswordPolicy {
  /** Server-side law for a new password; the browser's zod check is only a courtesy. */
  check(password: string, context: PasswordContext): PasswordCheckResult;
  /** Entries in the breached-password list (loads it on first call). */
  breachedListSize(): number;
}

/** NIST SP 800-63B §5.1.1.2 names the service itself as a context-specific word to refuse. */
export const PRODUCT_NAME = 'portcullis';

const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;

/** Name and email pieces shorter than this are too generic to count as "your name". */
const MIN_CONTEXT_WORD_LENGTH = 3;
/**
 * Context words this long are refused anywhere inside a password ("portcullis-notes-app",
 * "myaliceisgreat"); shorter ones only when the password is made of nothing else, because three
 * letters ("ann", "lee") occur by chance in many good passwords.
 */
const MIN_CONTEXT_SUBSTRING_LENGTH = 4;

// Characters people put between or around words ("john.smith", "alice_2024!"). Removed before
// comparing with context words so punctuation does not turn a name into a "new" password.
const SEPARATORS = /[\s._\-+@]/gu;
// The most common way people "strengthen" a listed password is to add digits or symbols at the
// ends ("password123456", "!sunshine2024"); cracking rule sets try exactly that first.
const EDGE_DECORATION = /^[\p{N}\p{P}\p{S}\s]+|[\p{N}\p{P}\p{S}\s]+$/gu;

// Messages say what to change and never include the password (it would end up in logs and
// screenshots). Codes are from the shared catalogue so the browser can show its own text.
const MESSAGES = {
  contextWord:
    'Do not use your email address, your name or the name of this service as your password.',
  repetitive:
    'Avoid repeated or sequential characters (like "aaaa" or "abcd1234"); a few unrelated words make a strong password.',
  breached:
    'This password is too common or has appeared in a data breach. Choose another; a few unrelated words work well.',
  decorated:
    'This password is a common password with numbers or symbols added, which attackers try first. Choose another.',
} as const;

function codePoints(value: string): string[] {
  return [...value];
}

/**
 * The pieces of the user's identity an attacker tries first: the whole email, its local part and
 * that part's pieces ("john.smith" → "john", "smith"), the domain's labels and their pieces
 * ("notes-app.example" → "notes-app", "notes", "app", "example"), the whole name and its words,
 * the product. Compared case-insensitively after NFKC, without separators.
 */
function contextWords(context: PasswordContext): Set<string> {
  const raw: string[] = [PRODUCT_NAME];
  const email = context.email?.trim() ?? '';
  if (email !== '') {
    raw.push(email);
    const at = email.lastIndexOf('@');
    const localPart = at > 0 ? email.slice(0, at) : email;
    raw.push(localPart, ...localPart.split(/[._+-]/u));
    if (at > 0) {
      for (const label of email.slice(at + 1).split('.')) raw.push(label, ...label.split('-'));
    }
  }
  const name = context.name?.trim() ?? '';
  if (name !== '') {
    raw.push(name, ...name.split(/[\s._-]+/u));
  }
  const words = new Set<string>();
  for (const word of raw) {
    const normalized = normalizeForComparison(word).replace(SEPARATORS, '');
    if (codePoints(normalized).length >= MIN_CONTEXT_WORD_LENGTH) words.add(normalized);
  }
  return words;
}

/** True when `value` is one or more context words back to back ("alicealice", "alicesmith"). */
function consistsOfWords(value: string, words: ReadonlySet<string>): boolean {
  if (value === '') return false;
  // reachable[i]: the first i UTF-16 units are a concatenation of words. Passwords are at most
  // 256 code points and words are few, so this is at most a few thousand comparisons.
  const reachable = new Array<boolean>(value.length + 1).fill(false);
  reachable[0] = true;
  for (let i = 0; i < value.length; i += 1) {
    if (!reachable[i]) continue;
    for (const word of words) {
      if (value.startsWith(word, i)) reachable[i + word.length] = true;
    }
  }
  return reachable[value.length] === true;
}

/** True when a context word of at least MIN_CONTEXT_SUBSTRING_LENGTH code points is in `value`. */
function containsLongWord(value: string, words: ReadonlySet<string>): boolean {
  for (const word of words) {
    if (codePoints(word).length >= MIN_CONTEXT_SUBSTRING_LENGTH && value.includes(word)) {
      return true;
    }
  }
  return false;
}

/**
 * NIST also names "repetitive or sequential characters". Refused: one unit repeated when the unit
 * alone is shorter than the minimum length ("abc123abc123" with a 12 minimum: the length was
 * reached by copying, not by choosing), and straight runs like "abcdefghijkl" or "1234567890".
 */
function isRepetitiveOrSequential(normalized: string, minLength: number): boolean {
  const chars = codePoints(normalized);
  const length = chars.length;
  for (let unit = 1; unit <= length / 2; unit += 1) {
    if (unit >= minLength) break;
    if (length % unit !== 0) continue;
    if (chars.every((char, index) => char === chars[index % unit])) return true;
  }
  const steps = new Set<number>();
  for (let index = 1; index < length; index += 1) {
    const previous = chars[index - 1]?.codePointAt(0) ?? 0;
    const current = chars[index]?.codePointAt(0) ?? 0;
    // "…7890" and "0987…": 0 follows 9 on the keyboard's number row, so it counts as a step.
    let step = current - previous;
    if (previous === DIGIT_NINE && current === DIGIT_ZERO) step = 1;
    if (previous === DIGIT_ZERO && current === DIGIT_NINE) step = -1;
    steps.add(step);
    if (steps.size > 1 || (step !== 1 && step !== -1)) return false;
  }
  return length > 1;
}

export function createPasswordPolicy(options: { minLength: number }): PasswordPolicy {
  const { minLength } = options;
  // NIST SP 800-63B: at least 8; at most our cap so the rule can be satisfied at all.
  if (
    !Number.isSafeInteger(minLength) ||
    minLength < PASSWORD_MIN_LENGTH_FLOOR ||
    minLength > PASSWORD_MAX_LENGTH
  ) {
    throw new RangeError(
      `minLength must be an integer from ${PASSWORD_MIN_LENGTH_FLOOR} to ${PASSWORD_MAX_LENGTH}`,
    );
  }

  function check(password: string, context: PasswordContext): PasswordCheckResult {
    // Every rule applies to the form that is hashed: NFKC, ill-formed text refused (ADR 004).
    const canonical = canonicalPassword(password);
    if (canonical === undefined) {
      return { ok: false, code: 'validation_failed', message: PASSWORD_ILL_FORMED_MESSAGE };
    }
    // Code points, not UTF-16 units: an emoji is one character to the user (NIST §5.1.1.2).
    // Every character is allowed and nothing is truncated: the full password is what gets hashed.
    const length = passwordLength(canonical);
    if (length < minLength) {
      return { ok: false, code: 'weak_password', message: `Use at least ${minLength} characters.` };
    }
    if (length > PASSWORD_MAX_LENGTH) {
      return {
        ok: false,
        code: 'weak_password',
        message: `Use at most ${PASSWORD_MAX_LENGTH} characters.`,
      };
    }

    const normalized = normalizeForComparison(canonical);
    const undecorated = normalized.replace(EDGE_DECORATION, '');

    const words = contextWords(context);
    const withoutSeparators = normalized.replace(SEPARATORS, '');
    if (
      containsLongWord(withoutSeparators, words) ||
      consistsOfWords(withoutSeparators, words) ||
      consistsOfWords(undecorated.replace(SEPARATORS, ''), words)
    ) {
      return { ok: false, code: 'weak_password', message: MESSAGES.contextWord };
    }

    if (isRepetitiveOrSequential(normalized, minLength)) {
      return { ok: false, code: 'weak_password', message: MESSAGES.repetitive };
    }

    if (isBreachedPassword(normalized)) {
      return { ok: false, code: 'breached_password', message: MESSAGES.breached };
    }
    if (undecorated !== normalized && isBreachedPassword(undecorated)) {
      return { ok: false, code: 'breached_password', message: MESSAGES.decorated };
    }
    return { ok: true };
  }

  return { check, breachedListSize: breachedPasswordCount };
}
