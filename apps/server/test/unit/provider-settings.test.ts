import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseFederationSettings } from '../../src/modules/federation/provider-settings.js';
import { baseTestEnv } from '../support/test-app.js';

/** OIDC_PROVIDERS is checked at boot: a wrong field stops the server with its path, no value echoed. */

const keycloak = {
  id: 'keycloak',
  type: 'oidc',
  name: 'Company SSO',
  issuer: 'https://sso.example.com/realms/main',
  clientId: 'portcullis',
  clientSecret: 'secret-value-never-printed',
};

function problem(providers: unknown): string {
  const parsed = parseFederationSettings(JSON.stringify(providers), 'open');
  if (!('problem' in parsed)) throw new Error('expected a problem');
  return parsed.problem;
}

describe('OIDC_PROVIDERS', () => {
  it('accepts an OIDC provider and a GitHub one, with defaults filled in', () => {
    const parsed = parseFederationSettings(
      JSON.stringify([
        keycloak,
        { id: 'github', type: 'github', name: 'GitHub', clientId: 'a', clientSecret: 'b' },
      ]),
      'closed',
    );
    if ('problem' in parsed) throw new Error(parsed.problem);
    expect(parsed.registrationOpen).toBe(false);
    const [oidc, github] = parsed.providers;
    expect(oidc).toMatchObject({
      clientAuth: 'client_secret_basic',
      scopes: ['openid', 'email', 'profile'],
      trustAmr: false,
    });
    expect(github).toMatchObject({
      baseUrl: 'https://github.com',
      apiUrl: 'https://api.github.com',
    });
  });

  it('prints secrets as [redacted]', () => {
    const parsed = parseFederationSettings(JSON.stringify([keycloak]), 'open');
    expect(JSON.stringify(parsed)).not.toContain('secret-value-never-printed');
    expect(JSON.stringify(parsed)).toContain('[redacted]');
  });

  it.each([
    [
      'an http issuer off loopback',
      [{ ...keycloak, issuer: 'http://sso.example.com' }],
      '[0.issuer]',
    ],
    [
      'an issuer with a fragment',
      [{ ...keycloak, issuer: 'https://sso.example.com/#x' }],
      '[0.issuer]',
    ],
    ['a missing client secret', [{ ...keycloak, clientSecret: undefined }], '[0.clientSecret]'],
    [
      'private_key_jwt without a key',
      [{ ...keycloak, clientAuth: 'private_key_jwt' }],
      '[0.privateKeyJwk]',
    ],
    ['scopes without openid', [{ ...keycloak, scopes: ['email'] }], '[0.scopes]'],
    ['an id used twice', [keycloak, keycloak], '[1.id]'],
    ['an id that cannot be a path segment', [{ ...keycloak, id: 'Key Cloak' }], '[0.id]'],
    ['an unknown field', [{ ...keycloak, clientSecretFile: '/x' }], '[0]'],
  ])('refuses %s', (_name, providers, path) => {
    const text = problem(providers);
    expect(text.startsWith(path)).toBe(true);
    expect(text).not.toContain('secret-value-never-printed');
  });

  it('stops loadConfig with the variable named', () => {
    expect(() => loadConfig({ ...baseTestEnv, OIDC_PROVIDERS: '[{' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...baseTestEnv, OIDC_PROVIDERS: '[{' })).toThrow(/^OIDC_PROVIDERS:/);
    expect(loadConfig({ ...baseTestEnv }).federation).toEqual({
      providers: [],
      registrationOpen: true,
    });
  });
});
