import { algorithmByName, checkImprint, type Imprint } from '../imprint/index.js';
import { EncodingError } from './encoding-error.js';
import { isUint, MAX_U16, MAX_U32, MAX_U64 } from './limits.js';
import { utf8Length, writeUtf8 } from './utf8.js';

const TWO_32 = 2 ** 32;

/**
 * Appends the primitives of MSI binary encoding v1 (docs/PROOFS.md §2) to a growing buffer.
 * Every method checks its value against the field's range and throws EncodingError (OUT_OF_RANGE,
 * BAD_UTF8, BAD_IMPRINT) rather than write a value that would not decode; callers are expected to have
 * validated their record first, so such an error is a bug in the caller. Methods return `this`.
 */
export class ByteWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#buffer = new Uint8Array(initialCapacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#length;
  }

  u8(value: number): this {
    const at = this.#offsetFor(value, 0xff, 1, 'u8'); // may grow the buffer: before reading #view
    this.#view.setUint8(at, value);
    return this;
  }

  u16(value: number): this {
    const at = this.#offsetFor(value, MAX_U16, 2, 'u16'); // may grow the buffer: before reading #view
    this.#view.setUint16(at, value);
    return this;
  }

  u32(value: number): this {
    const at = this.#offsetFor(value, MAX_U32, 4, 'u32'); // may grow the buffer: before reading #view
    this.#view.setUint32(at, value);
    return this;
  }

  /** A `u64`; `value` must be a safe integer (at most 2^53 − 1). */
  u64(value: number): this {
    const at = this.#offsetFor(value, MAX_U64, 8, 'u64');
    this.#view.setUint32(at, Math.floor(value / TWO_32));
    this.#view.setUint32(at + 4, value % TWO_32);
    return this;
  }

  /** A `time`: microseconds since the epoch, as a `u64`. */
  time(microseconds: number): this {
    return this.u64(microseconds);
  }

  /** `bytes[N]`: writes `bytes` as is; when `size` is given, `bytes` must have exactly that length. */
  bytes(bytes: Uint8Array, size?: number): this {
    if (size !== undefined && bytes.length !== size) {
      throw new EncodingError('OUT_OF_RANGE', '', `bytes[${size}] given ${bytes.length} bytes`);
    }
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  /** A `str`: u16 byte length, then well-formed UTF-8 without a BOM. */
  str(text: string): this {
    // ASCII (most of what events carry) in one pass that copies and checks each unit: its length
    // is its byte count, and it can hold neither a lone surrogate nor a BOM.
    const units = text.length;
    if (units <= MAX_U16) {
      this.#reserve(2 + units);
      const start = this.#length + 2;
      const buffer = this.#buffer;
      let i = 0;
      for (; i < units; i++) {
        const unit = text.charCodeAt(i);
        if (unit >= 0x80) break;
        buffer[start + i] = unit;
      }
      if (i === units) {
        this.#view.setUint16(this.#length, units);
        this.#length = start + units;
        return this;
      }
    }
    const length = text.charCodeAt(0) !== 0xfeff ? utf8Length(text) : undefined;
    if (length === undefined) {
      throw new EncodingError('BAD_UTF8', '', 'text: lone surrogate or leading BOM');
    }
    if (length > MAX_U16) {
      throw new EncodingError('OUT_OF_RANGE', '', `str of ${length} bytes exceeds ${MAX_U16}`);
    }
    this.u16(length);
    this.#reserve(length);
    writeUtf8(text, length, this.#buffer, this.#length);
    this.#length += length;
    return this;
  }

  /** An `imprint`: u8 length, then `algorithm id || digest` (encodeImprint's bytes, written in place). */
  imprint(imprint: Imprint): this {
    let id: number;
    try {
      checkImprint(imprint);
      id = algorithmByName(imprint.algorithm).id;
    } catch (cause) {
      throw new EncodingError('BAD_IMPRINT', '', 'imprint is not acceptable', { cause });
    }
    return this.u8(1 + imprint.digest.length)
      .u8(id)
      .bytes(imprint.digest);
  }

  /** The `u16` count that starts a `list<T>`; the caller then writes each item. */
  count(count: number): this {
    return this.u16(count);
  }

  /**
   * Forgets what was written and keeps the buffer, so that one writer can encode record after record
   * without allocating (each finish() still returns its own copy).
   */
  reset(): this {
    this.#length = 0;
    return this;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }

  /** Checks `value` is in [0, max], reserves `size` bytes and returns their offset. */
  #offsetFor(value: number, max: number, size: number, type: string): number {
    if (!isUint(value, max)) {
      throw new EncodingError('OUT_OF_RANGE', '', `${value} is not a ${type}`);
    }
    this.#reserve(size);
    const at = this.#length;
    this.#length += size;
    return at;
  }

  #reserve(size: number): void {
    const needed = this.#length + size;
    if (needed <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, 2 * this.#buffer.length));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }
}
