// Rows in PostgreSQL's binary COPY format, for `COPY table (columns) FROM STDIN (FORMAT binary)`
// (copy-in.ts). The format (PostgreSQL docs, "COPY", "Binary Format"): an 11-byte signature, a
// 32-bit flags field (0: no OIDs) and a 32-bit header-extension length (0); per row a 16-bit field
// count, then per field a 32-bit byte length (−1 for NULL) and the value in the type's binary
// send form; a 16-bit −1 at the end. All integers are big-endian. The send forms written here:
// smallint, integer and bigint as 2, 4 and 8 bytes of two's complement; bytea as its bytes; text as
// its UTF-8 bytes. Postgres checks each field's length against its column's type and refuses a row
// whose field count is not the column list's.
//
// Why: the projection's multi-row INSERT … SELECT unnest(…) made Postgres evaluate, per row, an
// unnest over 17 arrays, 4 substrings and 4 array subscripts before the row's index entries. COPY
// reads each field as it is sent. Into the verifier's events table with its six indexes, 150,000
// rows in groups of 250, a transaction each: 18.2–19.9 µs of the backend's CPU per row with the
// INSERT, 14.6–15.8 with COPY (four runs each, PG 15).
//
// The payload is written after 5 bytes kept free at the start, so that `framed()` can make it the
// frontend's CopyData message ('d', then its length as int32) followed by CopyDone ('c', 4) in the
// same buffer: copyIn sends that as it is, where node-postgres' copyData would copy the payload
// into its own writer first (~3% of the verifier's CPU at 20,000 events/s).

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
/** Signature, flags and header-extension length. */
const HEADER_BYTES = SIGNATURE.length + 8;
/** A message's type byte and int32 length (which counts itself, not the type byte). */
const MESSAGE_HEADER_BYTES = 5;
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const TWO_TO_32 = 2 ** 32;

/** A COPY payload being written, one row at a time (`row(n)` then n fields). */
export class BinaryCopyRows {
  #buffer: Buffer;
  #view: DataView;
  #at = 0;
  #rows = 0;
  #finished = false;

  constructor(initialBytes = 64 * 1024) {
    const start = MESSAGE_HEADER_BYTES;
    this.#buffer = Buffer.allocUnsafe(
      Math.max(initialBytes, start + HEADER_BYTES + 2 + MESSAGE_HEADER_BYTES),
    );
    this.#view = viewOf(this.#buffer);
    this.#buffer.set(SIGNATURE, start);
    this.#view.setUint32(start + SIGNATURE.length, 0);
    this.#view.setUint32(start + SIGNATURE.length + 4, 0);
    this.#at = start + HEADER_BYTES;
  }

  /** Rows begun so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Begins a row of `fields` fields. */
  row(fields: number): this {
    if (this.#finished) throw new Error('BinaryCopyRows: a row after finish()');
    this.#ensure(2);
    this.#view.setInt16(this.#at, fields);
    this.#at += 2;
    this.#rows += 1;
    return this;
  }

  /** A smallint field. */
  int2(value: number): this {
    checkInteger(value, -0x8000, 0x7fff, 'a smallint');
    this.#ensure(6);
    this.#view.setInt32(this.#at, 2);
    this.#view.setInt16(this.#at + 4, value);
    this.#at += 6;
    return this;
  }

  /** An integer field. */
  int4(value: number): this {
    checkInteger(value, -0x80000000, 0x7fffffff, 'an integer');
    this.#ensure(8);
    this.#view.setInt32(this.#at, 4);
    this.#view.setInt32(this.#at + 4, value);
    this.#at += 8;
    return this;
  }

  /** A bigint field, from a safe integer. */
  int8(value: number): this {
    checkInteger(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'a safe bigint');
    this.#ensure(12);
    const high = Math.floor(value / TWO_TO_32);
    this.#view.setInt32(this.#at, 8);
    this.#view.setInt32(this.#at + 4, high);
    this.#view.setUint32(this.#at + 8, value - high * TWO_TO_32);
    this.#at += 12;
    return this;
  }

  /** A bytea field. */
  bytes(value: Uint8Array): this {
    this.#ensure(4 + value.length);
    this.#view.setInt32(this.#at, value.length);
    this.#buffer.set(value, this.#at + 4);
    this.#at += 4 + value.length;
    return this;
  }

  /** A text field, as UTF-8. A lone surrogate becomes U+FFFD, as Buffer writes it. */
  text(value: string): this {
    this.#ensure(4 + value.length * 3);
    const length = this.#buffer.write(value, this.#at + 4);
    this.#view.setInt32(this.#at, length);
    this.#at += 4 + length;
    return this;
  }

  /** A NULL field. */
  null(): this {
    this.#ensure(4);
    this.#view.setInt32(this.#at, -1);
    this.#at += 4;
    return this;
  }

  /** The payload with its trailer (written once, however often it is asked for); no row after it. */
  finish(): Buffer {
    if (!this.#finished) {
      this.#ensure(2 + MESSAGE_HEADER_BYTES);
      this.#view.setInt16(this.#at, -1);
      this.#at += 2;
      this.#finished = true;
    }
    return this.#buffer.subarray(MESSAGE_HEADER_BYTES, this.#at);
  }

  /** The finished payload as one CopyData message, then CopyDone: what a COPY FROM STDIN sends. */
  framed(): Buffer {
    const payload = this.finish();
    this.#buffer[0] = COPY_DATA;
    this.#view.setInt32(1, 4 + payload.length);
    this.#buffer[this.#at] = COPY_DONE;
    this.#view.setInt32(this.#at + 1, 4);
    return this.#buffer.subarray(0, this.#at + MESSAGE_HEADER_BYTES);
  }

  #ensure(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#at + bytes));
    this.#buffer.copy(grown, 0, 0, this.#at);
    this.#buffer = grown;
    this.#view = viewOf(grown);
  }
}

function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function checkInteger(value: number, min: number, max: number, type: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`BinaryCopyRows: ${value} is not ${type}`);
  }
}
