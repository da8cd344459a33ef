/** Weekday names as policies write them, Monday first (index 0). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const MS_PER_DAY = 86_400_000;
/** UTC offsets change only at instants that are multiples of 15 minutes (true of every zone since 1973). */
const BUCKET_MS = 15 * 60_000;
const MAX_CACHED_BUCKETS = 4096;

/** An instant seen on a wall clock of some time zone. */
export interface LocalTime {
  /** Days since 1970-01-01 on the local calendar. */
  readonly day: number;
  /** 0 = Monday … 6 = Sunday. */
  readonly weekday: number;
  readonly hour: number;
  readonly minute: number;
  /** hour * 60 + minute. */
  readonly minuteOfDay: number;
}

/** True when `zone` is an IANA time zone name this runtime knows (`UTC` included). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The wall clock of one time zone. It asks Intl for the UTC offset once per 15-minute bucket of time
 * and caches it, so that converting an instant costs a map lookup and some arithmetic.
 */
export class ZoneClock {
  private readonly format: Intl.DateTimeFormat | undefined;
  private readonly offsets = new Map<number, number>();

  /** Precondition: isTimeZone(zone). */
  constructor(readonly zone: string) {
    this.format =
      zone === 'UTC'
        ? undefined
        : new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
  }

  /** The local time at `utcMs` (ms since the epoch). */
  localTime(utcMs: number): LocalTime {
    const localMs = utcMs + this.offsetAt(utcMs);
    const day = Math.floor(localMs / MS_PER_DAY);
    const minuteOfDay = Math.floor((localMs - day * MS_PER_DAY) / 60_000);
    const weekday = (((day + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    return { day, weekday, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60, minuteOfDay };
  }

  /** The zone's UTC offset in ms at `utcMs`. */
  offsetAt(utcMs: number): number {
    if (this.format === undefined) return 0;
    const bucket = Math.floor(utcMs / BUCKET_MS);
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      offset = this.computeOffset(bucket * BUCKET_MS);
      if (this.offsets.size >= MAX_CACHED_BUCKETS) this.offsets.clear();
      this.offsets.set(bucket, offset);
    }
    return offset;
  }

  private computeOffset(utcMs: number): number {
    const parts: Record<string, number> = {};
    for (const part of (this.format as Intl.DateTimeFormat).formatToParts(utcMs)) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
    return Date.UTC(year, month - 1, day, hour, minute, second) - utcMs;
  }
}

/** The local calendar date of a day number, `YYYY-MM-DD`. */
export function formatDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The day number of a `YYYY-MM-DD` date, or undefined when it is not a real date. */
export function parseDay(text: string): number | undefined {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms) || formatDay(ms / MS_PER_DAY) !== text) return undefined;
  return ms / MS_PER_DAY;
}

/** `HH:MM` (24:00 allowed when `allowEnd`) → minute of the day, or undefined. */
export function parseClock(text: string, allowEnd = false): number | undefined {
  const match = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(text);
  if (match === null) return allowEnd && text === '24:00' ? 24 * 60 : undefined;
  return Number(match[1]) * 60 + Number(match[2]);
}

/** A minute of the day as `HH:MM`. */
export function formatClock(minuteOfDay: number): string {
  const h = Math.floor(minuteOfDay / 60);
  const m = minuteOfDay % 60;
  return `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}`;
}
