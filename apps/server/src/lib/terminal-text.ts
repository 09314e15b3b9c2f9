/**
 * Characters a terminal acts on instead of showing: C0 controls (a newline or tab forges a row or
 * a column, ESC starts an ANSI sequence that can rewrite the screen or the window title), DEL, C1
 * controls (U+009B is a one-character CSI for some terminals), line and paragraph separators, and
 * the bidirectional marks, embeddings, overrides and isolates that reorder the text after them
 * (Trojan Source, CVE-2021-42574). Lone surrogates cannot be printed as UTF-8 at all.
 */
function isUnsafeForTerminal(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    (code >= 0xd800 && code <= 0xdfff)
  );
}

/**
 * Text from the database made safe to print to an operator's terminal: each unsafe character
 * becomes `\u{hex}`, and a backslash becomes `\\`, so a name that spells out an escape cannot pass
 * for an escaped character. Anything else, including non-Latin letters and emoji, is kept.
 */
export function escapeForTerminal(text: string): string {
  let escaped = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') escaped += '\\\\';
    else if (isUnsafeForTerminal(code)) escaped += `\\u{${code.toString(16)}}`;
    else escaped += char;
  }
  return escaped;
}
