import type { LocalTime } from './local-time.js';

/** When a tenant is open, on its local clock. */
export interface BusinessHours {
  /** Weekdays, 0 = Monday … 6 = Sunday. */
  readonly days: ReadonlySet<number>;
  /** First minute of the day inside business hours (inclusive). */
  readonly fromMinute: number;
  /** First minute of the day after business hours (exclusive); 1440 for 24:00. */
  readonly toMinute: number;
  /** Local day numbers (days since 1970-01-01) that are closed all day. */
  readonly holidays: ReadonlySet<number>;
}

/** True when `time` (local to the tenant) is within `hours`. */
export function isBusinessTime(hours: BusinessHours, time: LocalTime): boolean {
  return (
    hours.days.has(time.weekday) &&
    time.minuteOfDay >= hours.fromMinute &&
    time.minuteOfDay < hours.toMinute &&
    !hours.holidays.has(time.day)
  );
}
