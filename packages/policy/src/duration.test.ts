import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500_000],
    ['60s', 60_000_000],
    ['10m', 600_000_000],
    ['2h', 7_200_000_000],
    ['1d', 86_400_000_000],
    ['0s', 0],
  ])('%s → %d µs', (text, micros) => {
    expect(parseDuration(text)).toBe(micros);
  });

  it.each(['10', 'm', '1.5h', '-1s', '10 m', '1w', '999999999999d'])('refuses %s', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
