import { describe, expect, it } from 'vitest';
import {
  formatClock,
  formatDay,
  isTimeZone,
  parseClock,
  parseDay,
  WEEKDAYS,
  ZoneClock,
} from './local-time.js';

const at = (iso: string): number => Date.parse(iso);
const berlin = new ZoneClock('Europe/Berlin');
const newYork = new ZoneClock('America/New_York');
const utc = new ZoneClock('UTC');

/** `wed 2026-01-14 13:00` for an instant on a clock. */
function wall(clock: ZoneClock, iso: string): string {
  const t = clock.localTime(at(iso));
  return `${WEEKDAYS[t.weekday]} ${formatDay(t.day)} ${formatClock(t.minuteOfDay)}`;
}

describe('ZoneClock', () => {
  it('shows one instant on different wall clocks', () => {
    expect(wall(utc, '2026-01-14T12:00:00Z')).toBe('wed 2026-01-14 12:00');
    expect(wall(berlin, '2026-01-14T12:00:00Z')).toBe('wed 2026-01-14 13:00');
    expect(wall(newYork, '2026-01-14T12:00:00Z')).toBe('wed 2026-01-14 07:00');
    // Late on Wednesday in UTC is already Thursday in Berlin and still Wednesday in New York.
    expect(wall(berlin, '2026-01-14T23:30:00Z')).toBe('thu 2026-01-15 00:30');
    expect(wall(newYork, '2026-01-15T03:30:00Z')).toBe('wed 2026-01-14 22:30');
  });

  it('follows daylight saving time', () => {
    // Berlin springs forward on 2026-03-29 at 01:00 UTC (02:00 CET → 03:00 CEST).
    expect(wall(berlin, '2026-03-29T00:59:00Z')).toBe('sun 2026-03-29 01:59');
    expect(wall(berlin, '2026-03-29T01:00:00Z')).toBe('sun 2026-03-29 03:00');
    // New York springs forward on 2026-03-08 at 07:00 UTC and falls back on 2026-11-01 at 06:00 UTC.
    expect(wall(newYork, '2026-03-08T06:59:00Z')).toBe('sun 2026-03-08 01:59');
    expect(wall(newYork, '2026-03-08T07:00:00Z')).toBe('sun 2026-03-08 03:00');
    expect(wall(newYork, '2026-11-01T05:30:00Z')).toBe('sun 2026-11-01 01:30');
    expect(wall(newYork, '2026-11-01T06:30:00Z')).toBe('sun 2026-11-01 01:30');
    // Summer: Berlin is UTC+2, New York UTC-4.
    expect(wall(berlin, '2026-07-01T12:00:00Z')).toBe('wed 2026-07-01 14:00');
    expect(wall(newYork, '2026-07-01T12:00:00Z')).toBe('wed 2026-07-01 08:00');
  });

  it('agrees with Intl on every hour of a year (cache included)', () => {
    const format = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Australia/Lord_Howe', // 30-minute DST shift
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    const clock = new ZoneClock('Australia/Lord_Howe');
    for (let ms = at('2026-01-01T00:17:00Z'); ms < at('2027-01-01T00:00:00Z'); ms += 3_600_000) {
      const t = clock.localTime(ms);
      const [d, m, y, h, min] = format.format(ms).split(/[/, :]+/);
      expect(`${formatDay(t.day)} ${formatClock(t.minuteOfDay)}`).toBe(`${y}-${m}-${d} ${h}:${min}`);
    }
  });
});

describe('text forms', () => {
  it('checks time zone names', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Berlinn')).toBe(false);
  });

  it('parses clock times and dates strictly', () => {
    expect(parseClock('08:00')).toBe(480);
    expect(parseClock('23:59')).toBe(1439);
    expect(parseClock('24:00')).toBeUndefined();
    expect(parseClock('24:00', true)).toBe(1440);
    expect(parseClock('8:00')).toBeUndefined();
    expect(parseDay('2026-12-25')).toBe(Date.UTC(2026, 11, 25) / 86_400_000);
    expect(parseDay('2026-02-30')).toBeUndefined();
    expect(parseDay('2026-1-5')).toBeUndefined();
  });
});
