import { describe, expect, it } from 'vitest';
import { Counter } from '../../src/lib/metrics.js';
import {
  CSP_VIOLATION_EVENT,
  CspReportService,
  toViolations,
} from '../../src/modules/security-reports/csp-report-service.js';

/** What a CSP report turns into before it reaches the log: bounded, no secrets, one shape. */

describe('toViolations', () => {
  it('keeps origin and path of every URL: query strings and fragments carry tokens', () => {
    const [violation] = toViolations([
      {
        type: 'csp-violation',
        body: {
          documentURL: 'https://app.example/reset-password?token=t0k3n#x',
          blockedURL: 'https://cdn.example/a.js?key=k',
          sourceFile: 'https://app.example/assets/i.js?x=1',
        },
      },
    ]);
    expect(violation).toMatchObject({
      documentUrl: 'https://app.example/reset-password',
      blockedUrl: 'https://cdn.example/a.js',
      sourceFile: 'https://app.example/assets/i.js',
    });
  });

  it('keeps the keywords browsers send instead of a URL, and only the scheme of data: and blob:', () => {
    const blocked = (blockedURL: string) =>
      toViolations([{ type: 'csp-violation', body: { blockedURL } }])[0]?.blockedUrl;
    expect(blocked('inline')).toBe('inline');
    expect(blocked('eval')).toBe('eval');
    expect(blocked('trusted-types-sink')).toBe('trusted-types-sink');
    expect(blocked('data:text/html,<script>steal()</script>')).toBe('data:');
    expect(blocked('blob:https://app.example/5f1c')).toBe('blob:');
    expect(blocked('not a url at all')).toBe('[unparsable]');
  });

  it('caps URLs at 256 and samples at 40 characters, and replaces control characters', () => {
    const [violation] = toViolations([
      {
        type: 'csp-violation',
        body: {
          documentURL: `https://app.example/${'a'.repeat(1000)}`,
          sample: `\u001b]0;title\u0007\r\n\u202e${'b'.repeat(100)}`,
        },
      },
    ]);
    expect(violation?.documentUrl).toHaveLength(257);
    expect(violation?.documentUrl?.endsWith('…')).toBe(true);
    expect(violation?.sample).toBe(`?]0;title????${'b'.repeat(27)}…`);
  });

  it('reads the directive name, never its value, from either format', () => {
    const legacy = toViolations({
      'csp-report': { 'violated-directive': "script-src-elem 'self' https://x" },
    });
    expect(legacy[0]?.directive).toBe('script-src-elem');
    const odd = toViolations([
      { type: 'csp-violation', body: { effectiveDirective: '<img src=x>' } },
    ]);
    expect(odd[0]?.directive).toBe('[unknown]');
  });

  it('ignores other report types sent to the endpoint', () => {
    expect(
      toViolations([
        { type: 'deprecation', body: {} },
        { type: 'intervention', url: 'https://app.example/' },
      ]),
    ).toEqual([]);
  });
});

describe('CspReportService', () => {
  it('logs each violation under the fixed event name and counts it', () => {
    const counter = new Counter('test_total', 'test');
    const lines: [object, string][] = [];
    const service = new CspReportService({ counter });
    const recorded = service.record(
      [
        { type: 'csp-violation', body: { effectiveDirective: 'script-src-elem' } },
        { type: 'csp-violation', body: { effectiveDirective: 'style-src-elem' } },
        { type: 'deprecation' },
      ],
      { warn: (fields, message) => lines.push([fields, message]) },
    );
    expect(recorded).toBe(2);
    expect(counter.value).toBe(2);
    expect(
      lines.map(([fields, message]) => [(fields as { event: string }).event, message]),
    ).toEqual([
      [CSP_VIOLATION_EVENT, 'csp violation reported'],
      [CSP_VIOLATION_EVENT, 'csp violation reported'],
    ]);
  });
});

describe('Counter', () => {
  it('only counts up, by whole numbers', () => {
    const counter = new Counter('c_total', 'c');
    counter.inc();
    counter.inc(2);
    expect(counter.value).toBe(3);
    expect(() => {
      counter.inc(-1);
    }).toThrow(RangeError);
    expect(() => {
      counter.inc(0.5);
    }).toThrow(RangeError);
    expect(counter.value).toBe(3);
  });
});
