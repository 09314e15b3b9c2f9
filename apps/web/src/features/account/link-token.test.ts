import { describe, expect, it } from 'vitest';
import { missingTokenMessage, readLinkToken } from './link-token';

const token = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6';

describe('readLinkToken: the one-time token from a mailed link’s fragment', () => {
  it('reads #token=…', () => {
    expect(readLinkToken(`#token=${token}`)).toEqual({ ok: true, token });
  });

  it('reads it among other fragment parameters, with or without the #', () => {
    expect(readLinkToken(`lang=en&token=${token}`)).toEqual({ ok: true, token });
  });

  it.each([[''], ['#'], ['#code=abc'], ['#token']])(
    'a fragment without a token (%j) says the link is missing its code',
    (hash) => {
      expect(readLinkToken(hash)).toEqual({
        ok: false,
        problem: hash === '#token' ? 'This link is incomplete.' : missingTokenMessage,
      });
    },
  );

  it.each([
    ['an empty token', '#token=', 'This link is incomplete.'],
    ['characters outside base64url', '#token=abc%2Fdef', 'This link is not valid.'],
    ['markup', '#token=<script>', 'This link is not valid.'],
    ['an overlong token', `#token=${'a'.repeat(65)}`, 'This link is not valid.'],
  ])('refuses %s before anything is sent', (_case, hash, problem) => {
    expect(readLinkToken(hash)).toEqual({ ok: false, problem });
  });
});
