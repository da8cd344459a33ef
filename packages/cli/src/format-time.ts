/** ISO 8601 UTC with microseconds, e.g. `2026-11-25T01:02:03.000004Z`, from µs since the epoch. */
export function formatMicros(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const sub = micros - millis * 1000;
  const base = new Date(millis).toISOString(); // …T01:02:03.000Z
  return `${base.slice(0, -1)}${String(sub).padStart(3, '0')}Z`;
}

/** ISO 8601 UTC to the second, e.g. `2026-11-25T01:02:03Z`, from seconds since the epoch. */
export function formatSeconds(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * Local ISO 8601 to the second with the zone's offset, e.g. `2026-11-25T03:37:00+01:00`, from ms
 * since the epoch; `offsetMinutes` is east of UTC (the negated Date#getTimezoneOffset()).
 */
export function formatLocalMillis(millis: number, offsetMinutes: number): string {
  const local = new Date(millis + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  const hours = String(Math.floor(abs / 60)).padStart(2, '0');
  const minutes = String(abs % 60).padStart(2, '0');
  return `${local}${offsetMinutes > 0 ? '+' : '-'}${hours}:${minutes}`;
}
