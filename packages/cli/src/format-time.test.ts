import { describe, expect, it } from 'vitest';
import { formatMicros, formatSeconds } from './format-time.js';

describe('formatMicros', () => {
  it('prints microseconds in UTC with six fraction digits', () => {
    const micros = Date.UTC(2026, 10, 25, 1, 2, 3, 45) * 1000 + 6;
    expect(formatMicros(micros)).toBe('2026-11-25T01:02:03.045006Z');
    expect(formatMicros(0)).toBe('1970-01-01T00:00:00.000000Z');
  });
});

describe('formatSeconds', () => {
  it('prints seconds in UTC', () => {
    expect(formatSeconds(Date.UTC(2026, 0, 2, 3, 4, 5) / 1000)).toBe('2026-01-02T03:04:05Z');
  });
});
