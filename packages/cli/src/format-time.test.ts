import { describe, expect, it } from 'vitest';
import { formatLocalMillis, formatMicros, formatSeconds } from './format-time.js';

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

describe('formatLocalMillis', () => {
  it('prints local time with the offset east of UTC, Z for UTC', () => {
    const millis = Date.UTC(2026, 10, 25, 2, 37, 0, 405);
    expect(formatLocalMillis(millis, 60)).toBe('2026-11-25T03:37:00+01:00');
    expect(formatLocalMillis(millis, -330)).toBe('2026-11-24T21:07:00-05:30');
    expect(formatLocalMillis(millis, 0)).toBe('2026-11-25T02:37:00Z');
  });
});
