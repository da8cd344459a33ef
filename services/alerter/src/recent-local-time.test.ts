import { describe, expect, it } from 'vitest';
import { recentLocalTime } from './alerter.test-helper.js';

// The helper is what keeps the business-hours integration test independent of today's date; these
// cases pin it at fixed instants (pure computation, no clock read).
describe('recentLocalTime', () => {
  const weekend = {
    zone: 'Europe/Berlin',
    weekdays: ['sat', 'sun'] as const,
    clock: '03:00',
    minAgeMs: 600_000,
  };

  it('takes the latest weekend 03:00 in Berlin at least 10 minutes ago, in winter (UTC+1)', () => {
    // Thursday 2026-12-03 17:00 UTC → Sunday 2026-11-29 03:00 CET = 02:00 UTC.
    const at = recentLocalTime({ ...weekend, nowMs: Date.parse('2026-12-03T17:00:00Z') });
    expect(new Date(at).toISOString()).toBe('2026-11-29T02:00:00.000Z');
  });

  it('follows daylight saving (UTC+2 in summer)', () => {
    const at = recentLocalTime({ ...weekend, nowMs: Date.parse('2027-07-01T12:00:00Z') });
    expect(new Date(at).toISOString()).toBe('2027-06-27T01:00:00.000Z');
  });

  it('skips a moment less than minAgeMs ago and takes the one before', () => {
    const at = recentLocalTime({ ...weekend, nowMs: Date.parse('2026-11-29T02:05:00Z') });
    expect(new Date(at).toISOString()).toBe('2026-11-28T02:00:00.000Z');
  });

  it('skips listed dates', () => {
    const at = recentLocalTime({
      zone: 'Europe/Berlin',
      weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
      clock: '10:00',
      minAgeMs: 600_000,
      nowMs: Date.parse('2026-12-25T12:00:00Z'),
      skipDates: ['2026-12-24', '2026-12-25'],
    });
    expect(new Date(at).toISOString()).toBe('2026-12-23T09:00:00.000Z');
  });
});
