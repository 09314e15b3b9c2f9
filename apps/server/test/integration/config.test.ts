import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

/**
 * Fail fast (ASVS 14.1): a dangerous configuration stops start-up with an error naming the
 * variable, so an operator knows what to fix. loadConfig reads no files, so it is called directly.
 */

const SECRET_A = 'a'.repeat(32);
const SECRET_B = 'b'.repeat(40);

/** A production configuration that loads, so each refusal below is about the one variable changed. */
const productionEnv: Record<string, string> = {
  NODE_ENV: 'production',
  PUBLIC_ORIGIN: 'https://example.com',
  JWT_SECRETS: SECRET_A,
  CSRF_SECRET: SECRET_B,
  ENCRYPTION_KEYS: `${SECRET_A}-encryption`,
  AUDIT_CHECKPOINT_KEY: `${SECRET_A}-audit-checkpoint`,
  TLS_CERT_FILE: '/etc/ssl/cert.pem',
  TLS_KEY_FILE: '/etc/ssl/key.pem',
  DATA_DIR: '/tmp/portcullis-config-test',
  SMTP_URL: 'smtps://mailer:secret@smtp.example.com',
  SMTP_FROM: 'Example <no-reply@example.com>',
};

function refusal(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('loadConfig', () => {
  it('control: a complete production configuration loads', () => {
    const config = loadConfig(productionEnv);
    expect(config.publicOrigin).toBe('https://example.com');
    expect(config.jwtSecrets).toEqual([SECRET_A]);
    expect(config.corsOrigins).toEqual([]);
    expect(config.trustProxy).toBe(false);
  });

  it('control: the test defaults (localhost, generated secrets) load', () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/x' });
    expect(config.publicOrigin).toBe('https://localhost:8443');
  });

  it('CORS_ORIGINS=* → ConfigError naming CORS_ORIGINS', () => {
    const error = refusal({ ...productionEnv, CORS_ORIGINS: '*' });
    expect(error.variable).toBe('CORS_ORIGINS');
    expect(error.message).toContain('CORS_ORIGINS');
  });

  it('CORS_ORIGINS containing * among real origins → CORS_ORIGINS', () => {
    expect(refusal({ ...productionEnv, CORS_ORIGINS: 'https://app.example,*' }).variable).toBe(
      'CORS_ORIGINS',
    );
  });

  it('CORS_ORIGINS=null or a non-origin URL → CORS_ORIGINS', () => {
    expect(refusal({ ...productionEnv, CORS_ORIGINS: 'null' }).variable).toBe('CORS_ORIGINS');
    expect(refusal({ ...productionEnv, CORS_ORIGINS: 'https://app.example/path' }).variable).toBe(
      'CORS_ORIGINS',
    );
  });

  it.each(['ENCRYPTION_KEYS', 'AUDIT_CHECKPOINT_KEY'] as const)(
    'off localhost, %s must be set (a generated key would differ per instance)',
    (variable) => {
      const env = Object.fromEntries(
        Object.entries(productionEnv).filter(([name]) => name !== variable),
      );
      const error = refusal(env);
      expect(error.variable).toBe(variable);
      expect(error.message).toBe(`${variable}: must be set when PUBLIC_ORIGIN is not localhost`);
    },
  );

  it('a JWT_SECRETS entry shorter than 32 characters → JWT_SECRETS', () => {
    const error = refusal({ ...productionEnv, JWT_SECRETS: 'short-secret' });
    expect(error.variable).toBe('JWT_SECRETS');
    expect(error.message).toContain('JWT_SECRETS');
    expect(
      refusal({ ...productionEnv, JWT_SECRETS: `${SECRET_A},${'c'.repeat(31)}` }).variable,
    ).toBe('JWT_SECRETS');
  });

  it('NODE_ENV=production with PUBLIC_ORIGIN=http://example.com → PUBLIC_ORIGIN', () => {
    const error = refusal({ ...productionEnv, PUBLIC_ORIGIN: 'http://example.com' });
    expect(error.variable).toBe('PUBLIC_ORIGIN');
    expect(error.message).toContain('PUBLIC_ORIGIN');
  });

  it('PUBLIC_ORIGIN=https://example.com without JWT_SECRETS → JWT_SECRETS', () => {
    const env: Record<string, string | undefined> = { ...productionEnv, JWT_SECRETS: undefined };
    const error = refusal(env);
    expect(error.variable).toBe('JWT_SECRETS');
    expect(error.message).toContain('JWT_SECRETS');
  });

  it('TRUST_PROXY=true (believe every client) → TRUST_PROXY', () => {
    expect(refusal({ ...productionEnv, TRUST_PROXY: 'true' }).variable).toBe('TRUST_PROXY');
  });

  it('API_REFERENCE: unset, the reference page is on except in production', () => {
    expect(loadConfig(productionEnv).apiReference).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: '/tmp/x' }).apiReference).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: '/tmp/x' }).apiReference).toBe(true);
    // NODE_ENV itself defaults to production, and so does the page's absence.
    expect(loadConfig({ DATA_DIR: '/tmp/x' }).apiReference).toBe(false);
  });

  it('API_REFERENCE=on or off overrides NODE_ENV either way', () => {
    expect(loadConfig({ ...productionEnv, API_REFERENCE: 'on' }).apiReference).toBe(true);
    expect(
      loadConfig({ NODE_ENV: 'development', DATA_DIR: '/tmp/x', API_REFERENCE: 'off' })
        .apiReference,
    ).toBe(false);
  });

  it.each(['true', 'yes', 'ON', ''])('API_REFERENCE=%j → API_REFERENCE', (value) => {
    expect(refusal({ ...productionEnv, API_REFERENCE: value }).variable).toBe('API_REFERENCE');
  });

  it('the error message does not echo the secret it refused', () => {
    const error = refusal({ ...productionEnv, JWT_SECRETS: 'my-leaky-secret' });
    expect(error.message).not.toContain('my-leaky-secret');
  });
});
