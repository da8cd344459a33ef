import { type Imprint, parseImprint } from '../imprint/index.js';
import { EncodingError } from './encoding-error.js';
import { MAX_U64 } from './limits.js';
import { decodeUtf8 } from './utf8.js';

const TWO_32 = 2 ** 32;
/** Texts of at most this many bytes are tried as ASCII first (ByteReader.str). */
const SHORT_TEXT = 32;
/**
 * Short ASCII texts read lately, by a hash of their bytes (one per slot; a collision replaces): the
 * names in events repeat (tenants, actors, systems, regions, attribute keys and values), and a text
 * found here is returned as the string already made — no string built character by character, and
 * one string shared by every event that names it, not one per event held in memory.
 */
const TEXTS = new Array<string | undefined>(4096).fill(undefined);
const TEXT_SLOTS = TEXTS.length - 1;
const MAX_U64_HIGH = Math.floor(MAX_U64 / TWO_32);

/**
 * Reads the primitives of MSI binary encoding v1 (docs/PROOFS.md §2) from bytes that are hostile
 * input: every length is checked against what remains before anything is read or allocated. Each
 * method takes the name of the field it reads (snake_case path, e.g. `attributes[2].key`) so that an
 * EncodingError says where the bytes went wrong. Values read are copies, never views of the input
 * (short texts read lately are shared between readers: see TEXTS).
 */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  u8(field: string): number {
    return this.#view.getUint8(this.#take(field, 1));
  }

  u16(field: string): number {
    return this.#view.getUint16(this.#take(field, 2));
  }

  u32(field: string): number {
    return this.#view.getUint32(this.#take(field, 4));
  }

  /** A `u64`. Values above 2^53 − 1 are rejected (OUT_OF_RANGE): they have no exact JS number. */
  u64(field: string): number {
    const at = this.#take(field, 8);
    const high = this.#view.getUint32(at);
    if (high > MAX_U64_HIGH) {
      throw new EncodingError('OUT_OF_RANGE', field, `${field}: u64 exceeds 2^53 - 1`);
    }
    return high * TWO_32 + this.#view.getUint32(at + 4);
  }

  /** A `time`: microseconds since the epoch. */
  time(field: string): number {
    return this.u64(field);
  }

  /** `bytes[N]`: a copy of the next `size` bytes. */
  bytes(field: string, size: number): Uint8Array {
    const at = this.#take(field, size);
    return copyOf(this.#bytes, at, size);
  }

  /**
   * A `str`: u16 length, then well-formed UTF-8 without a BOM (else BAD_UTF8). Short ASCII text (most
   * names: tenants, actors, systems, regions) is read by a loop, as TextDecoder would read it: a call
   * into the decoder and a view per string cost more than the loop (the fields of an event are
   * mostly empty or a few characters).
   */
  str(field: string): string {
    const length = this.u16(field);
    const at = this.#take(field, length);
    if (length <= SHORT_TEXT) {
      const bytes = this.#bytes;
      let hash = length;
      let i = at;
      for (; i < at + length; i++) {
        const byte = bytes[i] as number;
        if (byte >= 0x80) break;
        hash = Math.imul(hash ^ byte, 0x01000193);
      }
      if (i === at + length) return shortAscii(bytes, at, length, (hash ^ (hash >>> 15)) & TEXT_SLOTS);
    }
    return decodeUtf8(this.#bytes.subarray(at, at + length), field);
  }

  /** An `imprint`: u8 length L, then L bytes that MUST be an accepted imprint (else BAD_IMPRINT). */
  imprint(field: string): Imprint {
    const length = this.u8(field);
    const at = this.#take(field, length);
    try {
      return parseImprint(this.#bytes.subarray(at, at + length));
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new EncodingError('BAD_IMPRINT', field, `${field}: ${detail}`, { cause });
    }
  }

  /** The `u16` count that starts a `list<T>`. The caller checks it against its limit, then reads the items. */
  count(field: string): number {
    return this.u16(field);
  }

  /** Asserts that every byte has been read (else TRAILING_BYTES). */
  end(): void {
    if (this.remaining !== 0) {
      throw new EncodingError('TRAILING_BYTES', '', `${this.remaining} bytes after the last field`);
    }
  }

  /** Checks `size` bytes remain, consumes them and returns their offset. */
  #take(field: string, size: number): number {
    if (size > this.remaining) {
      throw new EncodingError(
        'TRUNCATED',
        field,
        `${field}: needs ${size} bytes at offset ${this.#offset}, ${this.remaining} remain`,
      );
    }
    const at = this.#offset;
    this.#offset += size;
    return at;
  }
}

/** The ASCII text of bytes[at, at + length), from slot `slot` of TEXTS when it holds it, else made and kept there. */
function shortAscii(bytes: Uint8Array, at: number, length: number, slot: number): string {
  const kept = TEXTS[slot];
  if (kept !== undefined && kept.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (kept.charCodeAt(i) !== bytes[at + i]) {
        same = false;
        break;
      }
    }
    if (same) return kept;
  }
  let text = '';
  for (let i = at; i < at + length; i++) text += String.fromCharCode(bytes[i] as number);
  TEXTS[slot] = text;
  return text;
}

/**
 * A Uint8Array of its own holding bytes[at, at + length): never a view, even of a Buffer, whose
 * slice() is one (an event id read from a NATS message would keep the whole message alive). Short
 * ones by a loop, as fast as making a view (16 bytes: 0.057 µs against 0.088 by copying a subarray).
 */
function copyOf(bytes: Uint8Array, at: number, length: number): Uint8Array {
  if (length > 64) return new Uint8Array(bytes.subarray(at, at + length));
  const copy = new Uint8Array(length);
  for (let i = 0; i < length; i++) copy[i] = bytes[at + i] as number;
  return copy;
}
