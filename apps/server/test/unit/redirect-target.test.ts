import { describe, expect, it } from 'vitest';
import { redirectTarget } from '../../src/lib/redirect-target.js';

const origin = 'https://portcullis.example';

describe('redirectTarget: the HTTP listener never redirects to another host', () => {
  it.each([
    ['/', `${origin}/`],
    ['/notes?x=1', `${origin}/notes?x=1`],
    ['/notes/../admin', `${origin}/admin`],
    ['//evil.example/x', `${origin}/evil.example/x`],
    ['///evil.example/x', `${origin}/evil.example/x`],
    ['////evil.example', `${origin}/evil.example`],
    ['/\\evil.example', `${origin}/evil.example`],
    ['\\\\evil.example/x', `${origin}/`],
    ['/\\/evil.example', `${origin}/evil.example`],
    ['/.//evil.example', `${origin}/evil.example`],
    ['/a/..//evil.example', `${origin}/evil.example`],
    ['/%2F%2Fevil.example', `${origin}/%2F%2Fevil.example`],
    ['http://evil.example/x?y=1', `${origin}/x?y=1`],
    ['https://evil.example', `${origin}/`],
    ['http://user@evil.example//other.example/', `${origin}/other.example/`],
    ['*', `${origin}/`],
    ['evil.example', `${origin}/`],
    [undefined, `${origin}/`],
  ])('%s → %s', (target, expected) => {
    const location = redirectTarget(origin, target);
    expect(location).toBe(expected);
    expect(new URL(location).origin).toBe(origin);
  });
});
