import { federationErrorCodes } from '@portcullis/contract/federation';
import { describe, expect, it } from 'vitest';
import { providerStartUrl } from './federation-api';
import { providerLogoutLocation } from './provider-logout';
import { federationErrorMessage, secondFactorMethodsFrom } from './sign-in-error-message';

describe('federationErrorMessage: ?error= shows only our own sentences', () => {
  it('has a catalogue sentence for every code the callback can end with', () => {
    for (const code of federationErrorCodes) {
      expect(federationErrorMessage(code), code).toMatch(/\w+/);
    }
    expect(federationErrorMessage('provider_denied')).toBe(
      'The sign-in was cancelled at the provider.',
    );
  });

  it('shows nothing for an absent, unknown or injected code', () => {
    expect(federationErrorMessage(null)).toBeUndefined();
    expect(federationErrorMessage('')).toBeUndefined();
    expect(federationErrorMessage('internal_error')).toBeUndefined();
    expect(federationErrorMessage('<script>alert(1)</script>')).toBeUndefined();
    expect(federationErrorMessage('toString')).toBeUndefined();
  });
});

describe('secondFactorMethodsFrom: ?second-factor= as the callback redirects with', () => {
  it('keeps the known methods in the order given, once each', () => {
    expect(secondFactorMethodsFrom('totp,recovery,passkey')).toEqual([
      'totp',
      'recovery',
      'passkey',
    ]);
    expect(secondFactorMethodsFrom('passkey,totp,passkey')).toEqual(['passkey', 'totp']);
  });

  it('is null when nothing usable is named', () => {
    expect(secondFactorMethodsFrom(null)).toBeNull();
    expect(secondFactorMethodsFrom('')).toBeNull();
    expect(secondFactorMethodsFrom('sms,email')).toBeNull();
  });
});

describe('providerLogoutLocation: only an http(s) end-session URL is followed', () => {
  const headers = (value?: string) =>
    new Headers(value === undefined ? {} : { 'provider-logout-location': value });

  it('returns the provider URL', () => {
    const url = 'https://id.example/session/end?client_id=x&post_logout_redirect_uri=y';
    expect(providerLogoutLocation(headers(url))).toBe(url);
  });

  it('ignores an absent header, a relative path and a script URL', () => {
    expect(providerLogoutLocation(headers())).toBeNull();
    expect(providerLogoutLocation(headers('/sign-in'))).toBeNull();
    expect(providerLogoutLocation(headers('javascript:alert(1)'))).toBeNull();
    expect(providerLogoutLocation(headers('data:text/html,hi'))).toBeNull();
  });
});

describe('providerStartUrl', () => {
  it('starts a sign-in with "Keep me signed in" and a link without it', () => {
    expect(providerStartUrl('test', 'sign-in', true)).toBe(
      '/api/auth/test/start?intent=sign-in&remember=true',
    );
    expect(providerStartUrl('test', 'link')).toBe('/api/auth/test/start?intent=link');
  });
});
