import { describe, expect, it } from 'vitest';
import { formatCountdown } from './use-countdown';

describe('formatCountdown: the wait, exact to the second', () => {
  it.each([
    [1, '1 second'],
    [2, '2 seconds'],
    [59, '59 seconds'],
    [60, '1 minute'],
    [61, '1 minute 1 second'],
    [125, '2 minutes 5 seconds'],
    [900, '15 minutes'],
  ])('%i → %s', (seconds, expected) => {
    expect(formatCountdown(seconds)).toBe(expected);
  });
});
