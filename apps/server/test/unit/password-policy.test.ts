import { PASSWORD_MAX_LENGTH, passwordLength } from '@portcullis/contract/password-policy';
import { describe, expect, it, vi } from 'vitest';
import {
  BREACHED_PASSWORD_ENTRY_COUNT,
  breachedPasswordCount,
  isBreachedPassword,
  loadBreachedPasswords,
} from '../../src/lib/breached-passwords.js';
import { createPasswordPolicy, type PasswordCheckResult } from '../../src/lib/password-policy.js';

const policy = createPasswordPolicy({ minLength: 12 });
const noContext = {};
// Random-looking words: in no list, no context, no pattern. Used as the "good" baseline.
const STRONG = 'plinth quarry velvet';

function refusal(result: PasswordCheckResult) {
  return result.ok ? undefined : { code: result.code, message: result.message };
}

describe('breached password list (NIST SP 800-63B §5.1.1.2: breach corpuses)', () => {
  it('holds at least 100,000 entries, exactly the documented count', () => {
    expect(policy.breachedListSize()).toBeGreaterThanOrEqual(100_000);
    expect(breachedPasswordCount()).toBe(BREACHED_PASSWORD_ENTRY_COUNT);
  });

  it('is loaded once and reused', () => {
    expect(loadBreachedPasswords()).toBe(loadBreachedPasswords());
  });

  // Every entry refused, and the false-positive rate: test/unit/breached-passwords.test.ts.
  it('never matches a password shorter than 8 characters', () => {
    expect(isBreachedPassword('1234567')).toBe(false);
    expect(isBreachedPassword('12345678')).toBe(true);
  });

  it('preloads in slices, letting the event loop run, to the same set', async () => {
    vi.resetModules();
    const fresh = await import('../../src/lib/breached-passwords.js');
    const started = performance.now();
    let last = started;
    let longestBlock = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestBlock = Math.max(longestBlock, now - last);
      last = now;
    }, 1);
    await fresh.preloadBreachedPasswords();
    clearInterval(timer);
    const finished = performance.now();
    // The stretch after the last tick counts too: a load done in one go ends in it.
    longestBlock = Math.max(longestBlock, finished - last);
    const total = finished - started;
    // Loading in one go would block for most of the total; slices keep each block small.
    // Relative, so a slow or busy machine does not make it flaky.
    expect(longestBlock).toBeLessThan(total / 2);
    expect(fresh.breachedPasswordCount()).toBe(BREACHED_PASSWORD_ENTRY_COUNT);
  });

  it('finishes a half-done preload when a check needs the list at once', async () => {
    vi.resetModules();
    const fresh = await import('../../src/lib/breached-passwords.js');
    const preload = fresh.preloadBreachedPasswords();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fresh.isBreachedPassword('qwertyuiop123')).toBe(true);
    expect(fresh.breachedPasswordCount()).toBe(BREACHED_PASSWORD_ENTRY_COUNT);
    await preload;
    expect(fresh.loadBreachedPasswords().size).toBe(BREACHED_PASSWORD_ENTRY_COUNT);
  });

  it('matches case-insensitively and after compatibility normalisation', () => {
    expect(isBreachedPassword('qwertyuiop123')).toBe(true);
    expect(isBreachedPassword('QwertyUIOP123')).toBe(true);
    // Full-width letters and digits, as typed on some East Asian keyboards.
    expect(isBreachedPassword('ｑｗｅｒｔｙｕｉｏｐ１２３')).toBe(true);
    expect(isBreachedPassword(STRONG)).toBe(false);
  });
});

describe('createPasswordPolicy', () => {
  it('accepts a long passphrase with nothing wrong with it', () => {
    expect(policy.check(STRONG, noContext)).toEqual({ ok: true });
  });

  it('refuses fewer than minLength code points with weak_password and says how many are needed', () => {
    const result = policy.check('plinth quar', noContext);
    expect(refusal(result)).toEqual({
      code: 'weak_password',
      message: 'Use at least 12 characters.',
    });
    expect(policy.check('plinth quarr', noContext)).toEqual({ ok: true });
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    // 11 emoji are 22 UTF-16 units but 11 characters: too short.
    const elevenEmoji = '🐢🦊🐙🦉🐝🦀🐧🦔🐳🦄🐸';
    expect(elevenEmoji.length).toBe(22);
    expect(refusal(policy.check(elevenEmoji, noContext))?.code).toBe('weak_password');
    // 12 emoji are exactly 12 characters: long enough.
    expect(policy.check(`${elevenEmoji}🐿`, noContext)).toEqual({ ok: true });
  });

  it('allows every character class, spaces and 64+ characters, with no composition rules', () => {
    const sixtyFour = 'lowercase only words are fine when long enough for an attacker x';
    expect([...sixtyFour]).toHaveLength(64);
    expect(policy.check(sixtyFour, noContext)).toEqual({ ok: true });
    expect(policy.check('日本語のとても長いパスフレーズです', noContext)).toEqual({ ok: true });
    expect(policy.check('tab\tand\nnewline inside', noContext)).toEqual({ ok: true });
  });

  it(`accepts exactly ${PASSWORD_MAX_LENGTH} code points and refuses one more, without truncating`, () => {
    const words = 'velvet quarry plinth marmot ';
    const max = words.repeat(20).slice(0, PASSWORD_MAX_LENGTH - 1) + '🦉';
    expect([...max]).toHaveLength(PASSWORD_MAX_LENGTH);
    expect(max.length).toBe(PASSWORD_MAX_LENGTH + 1);
    expect(policy.check(max, noContext)).toEqual({ ok: true });
    expect(refusal(policy.check(`${max}x`, noContext))).toEqual({
      code: 'weak_password',
      message: `Use at most ${PASSWORD_MAX_LENGTH} characters.`,
    });
  });

  it('honours a configured minimum and refuses one below the NIST floor of 8', () => {
    const eight = createPasswordPolicy({ minLength: 8 });
    expect(eight.check('zq8#Lm2v', noContext)).toEqual({ ok: true });
    expect(refusal(eight.check('zq8#Lm2', noContext))?.code).toBe('weak_password');
    expect(() => createPasswordPolicy({ minLength: 7 })).toThrow(RangeError);
    expect(() => createPasswordPolicy({ minLength: PASSWORD_MAX_LENGTH + 1 })).toThrow(RangeError);
  });

  it.each([
    'qwertyuiop123',
    'QWERTYUIOP123',
    'iloveyou1234',
    'qazwsxedcrfv',
    'finalfantasy',
    'leavemealone',
  ])('refuses the listed password %s as breached_password', (password) => {
    expect(isBreachedPassword(password)).toBe(true);
    expect(refusal(policy.check(password, noContext))?.code).toBe('breached_password');
  });

  it.each(['password123456', 'Sunshine2024!!', '!!baseball1999', 'superman 12345'])(
    'refuses %s: a listed password with digits or symbols added',
    (password) => {
      // Not in the list verbatim: refused because the part before the decoration is.
      expect(isBreachedPassword(password)).toBe(false);
      expect(refusal(policy.check(password, noContext))?.code).toBe('breached_password');
    },
  );

  it.each([
    ['the email', 'alice.smith@example.com'],
    ['the email, differently cased', 'Alice.Smith@Example.COM'],
    ['the local part', 'alice.smith!!'],
    ['the local part with digits', 'alicesmith2024'],
    ['the name', 'Alice Wonderland'],
    ['the name twice', 'wonderlandwonderland'],
    ['name words together', 'smithwonderlandalice'],
    ['the product name', 'portcullis12'],
    ['the product name twice', 'PortcullisPortcullis'],
  ])('refuses %s as weak_password (context-specific words)', (_label, password) => {
    const context = { email: 'alice.smith@example.com', name: 'Alice Wonderland' };
    expect(refusal(policy.check(password, context))).toEqual({
      code: 'weak_password',
      message:
        'Do not use your email address, your name or the name of this service as your password.',
    });
    // The same password is not refused as context for someone else (unless it is the product).
    if (!password.toLowerCase().includes('portcullis')) {
      expect(
        refusal(policy.check(password, { email: 'bob@stone.net', name: 'Bob Stone' }))?.message ??
          '',
      ).not.toContain('your name');
    }
  });

  describe('context words of 4 or more characters are refused anywhere inside (ADR 004)', () => {
    const context = { email: 'alice.smith@notes-app.example', name: 'Alice Wonderland' };
    const contextRefusal = {
      code: 'weak_password',
      message:
        'Do not use your email address, your name or the name of this service as your password.',
    };

    it.each([
      ['the product name among other words', 'portcullis-notes-app', {}],
      ['a local-part piece among other words', 'alice plinth quarry', context],
      ['a local-part piece, differently cased', 'quarry SMITH velvet', context],
      ['a name word inside a longer word', 'plinthwonderlandquarry', context],
      ['a domain label', 'plinth example velvet', context],
      ['a domain label without its hyphen', 'plinth notesapp velvet', context],
      ['a piece of a hyphenated domain label', 'plinth notes velvet', context],
      ['a context word split by separators', 'plinth a.l.i.c.e velvet', context],
      [
        'a context word in fullwidth letters (NFKC)',
        '\uFF21\uFF2C\uFF29\uFF23\uFF25 plinth quarry',
        context,
      ],
    ])('refuses %s', (_label, password, passwordContext) => {
      expect(refusal(policy.check(password, passwordContext))).toEqual(contextRefusal);
    });

    it.each([
      ['a 3-character domain piece inside', 'plinth app quarry velvet', context],
      ['a 3-character name word inside', 'ann plinth quarry', { name: 'Ann Lee' }],
      ['a prefix of a context word only', 'wonder plinth quarry', context],
      ['the top-level domain', 'plinth com quarry', { email: 'bob@stone.com' }],
    ])('accepts %s', (_label, password, passwordContext) => {
      expect(policy.check(password, passwordContext)).toEqual({ ok: true });
    });

    it('still refuses 3-character words when the password is nothing else', () => {
      expect(refusal(policy.check('annleeannlee!', { name: 'Ann Lee' }))).toEqual(contextRefusal);
    });
  });

  describe('canonical form: NFKC before every rule, ill-formed text refused', () => {
    it('refuses twelve lone surrogates with validation_failed and the contract message', () => {
      expect(refusal(policy.check('\uD800'.repeat(12), noContext))).toEqual({
        code: 'validation_failed',
        message: 'This password contains characters that are not valid text. Type it again.',
      });
    });

    it('counts the length of the NFKC form: "\uFB00" (one code point) is "ff", two', () => {
      // 11 code points as typed, 12 once canonical: long enough, as the hashed form is.
      expect(passwordLength('plinth\uFB00quar')).toBe(12);
      expect(policy.check('plinth\uFB00quar', noContext)).toEqual({ ok: true });
    });
  });

  it.each([
    'aaaaaaaaaaaa',
    'abcabcabcabc',
    'abc123abc123',
    'abcdefghijklm',
    '1234567890123',
    '0987654321098',
  ])('refuses the repetitive or sequential %s as weak_password', (password) => {
    expect(refusal(policy.check(password, noContext))?.code).toBe('weak_password');
  });

  it('never echoes the password in a refusal message', () => {
    const context = { email: 'carol@example.com', name: 'Carol' };
    const refused = [
      'short',
      'x'.repeat(PASSWORD_MAX_LENGTH + 1),
      'qwertyuiop123',
      'password123456',
      'carol@example.com',
      'zzzzzzzzzzzzzz',
    ];
    for (const password of refused) {
      const result = policy.check(password, context);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message.toLowerCase()).not.toContain(password.toLowerCase());
    }
  });
});
