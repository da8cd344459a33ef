// Array parameters that cost little to send. node-postgres sends every parameter as text and turns
// a JavaScript array into an array literal by quoting and escaping each element (for a group of a
// thousand rows, a measurable share of a projection's CPU); these build the literal directly.

/**
 * Integers as a Postgres array literal ('{1,2,3}'), for a `$n::int8[]` (or int4, int2) parameter.
 * Throws RangeError on a value that is not a safe integer (it would not print as one).
 */
export function integerArray(values: readonly number[]): string {
  for (const v of values) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`integerArray: ${v} is not a safe integer`);
  }
  return `{${values.join(',')}}`;
}

/**
 * A text column as its distinct values and, per row, the 1-based index of its value: in SQL,
 * `($values::text[])[t.index]` with `$index::int4[]`. A column that repeats a few values (tenants,
 * names, roles) then sends each value once.
 */
export function textDictionary(values: readonly string[]): {
  readonly values: string[];
  readonly index: string;
} {
  const seen = new Map<string, number>();
  const distinct: string[] = [];
  const index: number[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string;
    let at = seen.get(value);
    if (at === undefined) {
      distinct.push(value);
      at = distinct.length;
      seen.set(value, at);
    }
    index[i] = at;
  }
  return { values: distinct, index: `{${index.join(',')}}` };
}

/**
 * Byte strings of one size (`size` bytes each) as one bytea parameter, which node-postgres sends as
 * binary: no hex text to build here or to parse in Postgres (an array of 10,000 ids of 16 bytes cost
 * 33 ms a query as `$n::bytea[]`, 16.5 ms packed, and 6.6 ms of this process's CPU against 0.8). In
 * SQL, value i (0-based) is `substring($n::bytea FROM i * size + 1 FOR size)`, for i in
 * `generate_series(0, length($n::bytea) / size - 1)`. Throws RangeError on a value of another size.
 */
export function packedBytes(values: readonly Uint8Array[], size: number): Buffer {
  const out = Buffer.allocUnsafe(values.length * size);
  values.forEach((value, i) => {
    if (value.length !== size)
      throw new RangeError(`packedBytes: value ${i} is ${value.length} bytes, not ${size}`);
    out.set(value, i * size);
  });
  return out;
}

/**
 * A bytea column of values of any sizes packed into one buffer with each value's start (1-based, as
 * SQL substring counts) and length: sent as one binary parameter, where a bytea[] would be
 * hex-escaped text both ways. In SQL, `substring($bytes::bytea FROM t.at FOR t.len)` over
 * `unnest($starts::int[], $lengths::int[]) AS t(at, len)` (`parameters` gives the three in order).
 */
export class PackedColumn {
  readonly #chunks: Uint8Array[] = [];
  readonly starts: number[] = [];
  readonly lengths: number[] = [];
  #next = 1;

  push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.starts.push(this.#next);
    this.lengths.push(bytes.length);
    this.#next += bytes.length;
  }

  /** The values, concatenated. */
  bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  /** The three parameters: the bytes, the starts and the lengths (as integerArray literals). */
  parameters(): [Buffer, string, string] {
    return [this.bytes(), integerArray(this.starts), integerArray(this.lengths)];
  }

  /** Value i (for tests and checks). */
  at(i: number): Uint8Array | undefined {
    return this.#chunks[i];
  }
}
