import { describe, expect, it } from 'vitest';
import { describeUserAgent } from '@portcullis/contract/user-agent';

describe('describeUserAgent: audit rows and security mails name the browser in words', () => {
  const named: [userAgent: string, expected: string][] = [
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
      'Chrome on Linux',
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36',
      'Chrome on Linux',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
      'Firefox on Windows',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0',
      'Microsoft Edge on macOS',
    ],
  ];

  it.each(named)('%s → %s', (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected);
  });

  it('gives up on strings that name no browser, so the caller shows them as they are', () => {
    for (const userAgent of [
      'curl/8.5.0',
      'portcullis-cli',
      'portcullis-integration-test/1.0',
      '',
    ]) {
      expect(describeUserAgent(userAgent), userAgent).toBeUndefined();
    }
  });
});
