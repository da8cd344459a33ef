/** Largest value of a `u16` (also the longest `str` and the longest `list`). */
export const MAX_U16 = 0xffff;
/** Largest value of a `u32`. */
export const MAX_U32 = 0xffff_ffff;
/**
 * Largest `u64` this implementation handles: 2^53 − 1, so that every value is an exact JS number.
 * As a `time` that is about the year 2255; as a counter, more than any MSI deployment reaches.
 */
export const MAX_U64 = Number.MAX_SAFE_INTEGER;

/** True when `value` is an integer in [0, max]. */
export function isUint(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}
