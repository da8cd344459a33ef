const DURATION = /^([0-9]{1,12})(ms|s|m|h|d)$/;
const MICROS_PER_UNIT: Readonly<Record<string, number>> = {
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

/**
 * Parses a duration `<n>ms|s|m|h|d` (e.g. `10m`, `60s`) into microseconds. Returns undefined when the
 * text is not of that form or the result is not a safe integer.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  const unit = match?.[2];
  if (match === null || unit === undefined) return undefined;
  const micros = Number(match[1]) * (MICROS_PER_UNIT[unit] ?? 0);
  return Number.isSafeInteger(micros) ? micros : undefined;
}
