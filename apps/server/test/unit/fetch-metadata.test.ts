import { describe, expect, it } from 'vitest';
import { judgeFetchMetadata, type IsolationVerdict } from '../../src/plugins/fetch-metadata.js';

/** Each rule of the resource isolation policy, on the pure decision (no server). */

const cors = new Set(['https://partner.example']);

const cases: [
  site: string | undefined,
  mode: string | undefined,
  origin: string | undefined,
  verdict: IsolationVerdict,
][] = [
  // No Fetch Metadata: not a browser (or a browser too old to send it).
  [undefined, undefined, undefined, 'allow'],
  [undefined, 'no-cors', 'https://evil.example', 'allow'],
  ['same-origin', 'cors', undefined, 'allow'],
  ['same-origin', 'navigate', undefined, 'allow'],
  ['same-site', 'no-cors', undefined, 'allow'],
  ['same-site', 'navigate', undefined, 'allow'],
  ['none', 'navigate', undefined, 'allow'],
  ['cross-site', 'cors', 'https://partner.example', 'allow'],
  // CORS allows by exact origin only.
  ['cross-site', 'cors', 'https://partner.example.evil', 'cross-site'],
  ['cross-site', 'cors', 'HTTPS://PARTNER.EXAMPLE', 'cross-site'],
  ['cross-site', 'cors', 'https://evil.example', 'cross-site'],
  ['cross-site', 'cors', undefined, 'cross-site'],
  ['cross-site', undefined, undefined, 'cross-site'],
  ['cross-site', 'websocket', 'https://partner.example', 'cross-site'],
  ['cross-site', 'no-cors', 'https://partner.example', 'cross-site-no-cors'],
  ['cross-site', 'no-cors', undefined, 'cross-site-no-cors'],
  ['cross-site', 'navigate', 'https://partner.example', 'cross-site-navigation'],
  ['cross-site', 'nested-navigate', undefined, 'cross-site-navigation'],
  ['some-future-value', 'no-cors', undefined, 'cross-site-no-cors'],
];

describe('judgeFetchMetadata', () => {
  for (const [site, mode, origin, verdict] of cases) {
    it(`site=${String(site)} mode=${String(mode)} origin=${String(origin)} → ${verdict}`, () => {
      expect(judgeFetchMetadata({ site, mode, origin }, cors)).toBe(verdict);
    });
  }

  it('without any CORS origin, every cross-site request is refused', () => {
    expect(
      judgeFetchMetadata(
        { site: 'cross-site', mode: 'cors', origin: 'https://partner.example' },
        new Set(),
      ),
    ).toBe('cross-site');
  });
});
