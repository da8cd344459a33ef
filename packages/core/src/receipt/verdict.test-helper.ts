// What the receipt tests compare: a check's verdict ("VALID" and its result, or the code it threw),
// and bytes with one bit changed. Never exported.

/** "VALID" and the result, or the code thrown (an error without a code is rethrown). */
export function outcome<T>(run: () => T): { verdict: string; result?: T } {
  try {
    return { verdict: 'VALID', result: run() };
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string')
      return { verdict: error.code };
    throw error;
  }
}

/** A copy of `bytes` with the last bit of its last byte flipped. */
export const flipped = (bytes: Uint8Array): Uint8Array => {
  const copy = Uint8Array.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 1;
  return copy;
};
