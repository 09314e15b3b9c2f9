import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BloomFilter } from '../../src/lib/bloom-filter.js';
import {
  BREACHED_PASSWORD_ENTRY_COUNT,
  BREACHED_PASSWORD_FALSE_POSITIVE_RATE,
  BREACHED_PASSWORD_MIN_ENTRY_LENGTH,
  BREACHED_PASSWORD_SOURCE,
  isBreachedPassword,
  loadBreachedPasswords,
  normalizeForComparison,
} from '../../src/lib/breached-passwords.js';

/** The pinned list read the plain way, as the reference the filter must agree with. */
function listedEntries(): Set<string> {
  const file = createRequire(import.meta.url).resolve(
    `${BREACHED_PASSWORD_SOURCE.packageName}/${BREACHED_PASSWORD_SOURCE.file}`,
  );
  const entries = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const entry = normalizeForComparison(line.replace(/\r$/, ''));
    if ([...entry].length >= BREACHED_PASSWORD_MIN_ENTRY_LENGTH) entries.add(entry);
  }
  return entries;
}

describe('breached-password filter (NIST SP 800-63B §5.1.1.2)', () => {
  const listed = listedEntries();

  it('is built from exactly the documented number of distinct entries', () => {
    expect(listed.size).toBe(BREACHED_PASSWORD_ENTRY_COUNT);
    expect(loadBreachedPasswords().size).toBe(BREACHED_PASSWORD_ENTRY_COUNT);
  });

  it('refuses every entry of the list, as typed and upper-cased', () => {
    let missed = 0;
    for (const entry of listed) {
      if (!isBreachedPassword(entry) || !isBreachedPassword(entry.toUpperCase())) missed += 1;
    }
    expect(missed).toBe(0);
  });

  it('answers "listed" for random strings not on the list within the stated rate', () => {
    // 10^6 samples: the rate is 1e-4, so about 100 false positives are expected; 1.5 times that
    // is five standard deviations away, so this fails only if the filter is worse than stated.
    const samples = 1_000_000;
    let falsePositives = 0;
    let tried = 0;
    const bytes = randomBytes(samples * 9);
    for (let i = 0; i < samples; i += 1) {
      const candidate = bytes.toString('base64url', i * 9, i * 9 + 9);
      if (listed.has(candidate)) continue;
      tried += 1;
      if (isBreachedPassword(candidate)) falsePositives += 1;
    }
    expect(tried).toBeGreaterThan(samples * 0.99);
    expect(falsePositives / tried).toBeLessThan(BREACHED_PASSWORD_FALSE_POSITIVE_RATE * 1.5);
  }, 60_000);

  it('retains little memory: the filter, not the entries', () => {
    expect(loadBreachedPasswords().byteLength).toBeLessThan(1.5 * 1024 * 1024);
  });
});

describe('BloomFilter', () => {
  it('never forgets an entry and is sized by the textbook formula', () => {
    const filter = new BloomFilter(1000, 0.01);
    // -n ln p / (ln 2)^2 = 9586 bits, rounded up to whole words; k = round(m/n ln 2) = 7.
    expect(filter.bitCount).toBe(9600);
    expect(filter.hashCount).toBe(7);
    const added = Array.from({ length: 1000 }, (_, i) => `entry-${i}`);
    for (const value of added) filter.add(value);
    expect(added.every((value) => filter.has(value))).toBe(true);
    expect(filter.has('never-added')).toBe(false);
  });

  it('refuses nonsense sizes', () => {
    expect(() => new BloomFilter(0, 0.01)).toThrow(RangeError);
    expect(() => new BloomFilter(10, 1)).toThrow(RangeError);
  });
});
