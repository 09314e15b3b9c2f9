import { randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeBase32NoPadding } from '@oslojs/encoding';
import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp';

/** RFC 6238 as every authenticator app implements it: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** One step either side: a code typed as the step turns over, or a phone's clock a little off. */
export const TOTP_DRIFT_STEPS = 1;

/** 160 random bits, the key length RFC 4226 recommends for HMAC-SHA-1. */
export function newTotpKey(): Uint8Array {
  return new Uint8Array(randomBytes(20));
}

export function totpKeyText(key: Uint8Array): string {
  return encodeBase32NoPadding(key);
}

/** The otpauth:// URI an app reads from the QR code. */
export function totpUri(issuer: string, accountName: string, key: Uint8Array): string {
  return createTOTPKeyURI(issuer, accountName, key, TOTP_STEP_SECONDS, TOTP_DIGITS);
}

export function totpStepAt(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

/**
 * The step whose code `code` is, within the drift window, or undefined. A step at or before
 * `lastAcceptedStep` is refused: each code works once (RFC 6238 §5.2), including a code from the
 * step before the last one accepted, which a thief watching over a shoulder would try next.
 */
export function matchTotp(
  key: Uint8Array,
  code: string,
  nowMs: number,
  lastAcceptedStep: number | null,
): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const current = totpStepAt(nowMs);
  let matched: number | undefined;
  // Every candidate is computed and compared, so the time taken says nothing about which matched.
  for (let step = current - TOTP_DRIFT_STEPS; step <= current + TOTP_DRIFT_STEPS; step += 1) {
    const expected = Buffer.from(generateHOTP(key, BigInt(step), TOTP_DIGITS));
    if (timingSafeEqual(expected, Buffer.from(code)) && matched === undefined) matched = step;
  }
  if (matched === undefined) return undefined;
  if (lastAcceptedStep !== null && matched <= lastAcceptedStep) return undefined;
  return matched;
}

/** The code for a step (the tests play the authenticator app with it). */
export function totpCode(key: Uint8Array, nowMs: number): string {
  return generateHOTP(key, BigInt(totpStepAt(nowMs)), TOTP_DIGITS);
}
