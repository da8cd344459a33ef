/** µs since the epoch as an ISO instant (UTC, milliseconds). */
export function formatMicros(micros: number): string {
  return Number.isSafeInteger(micros) && micros > 0 ? new Date(Math.floor(micros / 1000)).toISOString() : '—';
}

/** An imprint or id shortened for a narrow place; the full text goes in a title. */
export function shorten(text: string, keep = 12): string {
  return text.length <= keep + 1 ? text : `${text.slice(0, keep)}…`;
}
