import { describe, expect, it } from 'vitest';
import { escapeForTerminal } from '../../src/lib/terminal-text.js';

/** What the operator's CLI prints from the database cannot act on the terminal (issue 8). */
describe('escapeForTerminal', () => {
  it('turns a forged row (newline, tab) into one visible line', () => {
    const forged = 'Mallory\n00000000\tadmin\tceo@example.com\tCEO';
    const escaped = escapeForTerminal(forged);
    expect(escaped).toBe('Mallory\\u{a}00000000\\u{9}admin\\u{9}ceo@example.com\\u{9}CEO');
    expect(escaped).not.toMatch(/[\n\t]/);
  });

  it('escapes ANSI sequences: ESC, and the one-character C1 CSI', () => {
    expect(escapeForTerminal('\u001b[2J\u001b]0;pwned\u0007')).toBe(
      '\\u{1b}[2J\\u{1b}]0;pwned\\u{7}',
    );
    expect(escapeForTerminal('\u009b31m')).toBe('\\u{9b}31m');
  });

  it.each([
    ['every C0 control', 0x00, 0x1f],
    ['DEL and every C1 control', 0x7f, 0x9f],
    ['bidirectional embeddings and overrides', 0x202a, 0x202e],
    ['bidirectional isolates', 0x2066, 0x2069],
  ])('escapes %s', (_label, first, last) => {
    for (let code = first; code <= last; code += 1) {
      expect(escapeForTerminal(String.fromCodePoint(code))).toBe(`\\u{${code.toString(16)}}`);
    }
  });

  it('escapes bidirectional marks, line separators and lone surrogates', () => {
    for (const code of [0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0xd800, 0xdfff]) {
      expect(escapeForTerminal(String.fromCharCode(code))).toBe(`\\u{${code.toString(16)}}`);
    }
  });

  it('doubles a backslash, so a name spelling an escape differs from an escaped character', () => {
    expect(escapeForTerminal('\\u{a}')).toBe('\\\\u{a}');
    expect(escapeForTerminal('\n')).toBe('\\u{a}');
  });

  it('keeps printable text of any script as it is', () => {
    const names = [
      'Ada Lovelace',
      'Zoë Ångström',
      'Нина',
      '李小龍',
      'محمد',
      'Emoji 🦊',
      'a-b_c.d@e',
    ];
    for (const name of names) expect(escapeForTerminal(name)).toBe(name);
  });
});
