import { isUtf8 } from 'node:buffer';
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';

/** Why a request body was refused before any handler saw it. */
export interface DecodeProblem {
  /**
   * The offending field's path in the request, e.g. `events[2].actor` (an unknown field by its
   * number: `events[0].#31`); '' for the body as a whole.
   */
  readonly field: string;
  readonly message: string;
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** How deep messages may nest (our schemas nest 3 deep; this bounds the walk, never the schema). */
const MAX_DEPTH = 32;

/**
 * Checks a protobuf body (hostile input) against its message schema, strictly, before a lenient
 * decoder reads it: every tag, varint and length lies within the body; no groups; a known field
 * comes in its own wire type (a repeated scalar packed or not); a 32-bit field's value fits 32 bits;
 * and every string is valid UTF-8. proto3 requires UTF-8, and a lenient reader replaces bad bytes
 * with U+FFFD, so what would be stored and anchored is not what the client sent; a field in the
 * wrong wire type, or a 32-bit value too large, would be silently dropped or truncated. Unknown
 * fields are skipped (a newer client). Returns the first problem, naming the field, or undefined.
 */
export function findDecodeProblem(schema: DescMessage, body: Uint8Array): DecodeProblem | undefined {
  const walker = new Walker(body);
  try {
    walker.message(schema, body.length, ROOT, 0);
    return undefined;
  } catch (error: unknown) {
    if (error instanceof Refusal) return { field: error.at.toString(), message: error.message };
    throw error;
  }
}

/**
 * Where the walker is in the request: `events[2].actor` is Path(Path(ROOT, 'events', 2), 'actor').
 * Made into text only when a refusal names it (building strings for every field read would cost as
 * much as the walk).
 */
class Path {
  constructor(
    readonly up: Path | undefined,
    readonly name: string,
    readonly index = -1,
  ) {}

  toString(): string {
    const own = this.index < 0 ? this.name : `${this.name}[${this.index}]`;
    const up = this.up?.toString() ?? '';
    return up === '' ? own : `${up}.${own}`;
  }
}

const ROOT = new Path(undefined, '');

class Refusal extends Error {
  constructor(
    readonly at: Path,
    message: string,
  ) {
    super(message);
  }
}

class Walker {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  message(schema: DescMessage, end: number, at: Path, depth: number): void {
    if (depth > MAX_DEPTH) throw new Refusal(at, `messages nested more than ${MAX_DEPTH} deep`);
    const fields = fieldsOf(schema);
    let counts: Map<number, number> | undefined;
    while (this.pos < end) {
      const tag = this.#varint(end, at);
      const number = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (number < 1 || number > 0x1fffffff) throw new Refusal(at, `field number ${number} is not valid`);
      const field = fields.get(number);
      if (field === undefined) {
        this.#skip(wireType, end, new Path(at, `#${number}`));
        continue;
      }
      let index = -1;
      if (field.fieldKind === 'list' || field.fieldKind === 'map') {
        counts ??= new Map();
        index = counts.get(number) ?? 0;
        counts.set(number, index + 1);
      }
      this.#field(field, wireType, end, new Path(at, field.name, index), depth);
    }
    if (this.pos !== end) throw new Refusal(at, 'the last field runs past the end of its message');
  }

  /** One occurrence of `field` (`at` names it, with its index when it repeats). */
  #field(field: DescField, wireType: number, end: number, at: Path, depth: number) {
    switch (field.fieldKind) {
      case 'scalar':
        return this.#scalar(field.scalar, wireType, end, at);
      case 'enum':
        return this.#scalar(ScalarType.INT32, wireType, end, at);
      case 'message':
        this.#expect(wireType, LENGTH_DELIMITED, at);
        return this.#nested(field.message, end, at, depth);
      case 'list': {
        if (field.listKind === 'message') {
          this.#expect(wireType, LENGTH_DELIMITED, at);
          return this.#nested(field.message, end, at, depth);
        }
        const scalar = field.listKind === 'enum' ? ScalarType.INT32 : field.scalar;
        if (wireType === LENGTH_DELIMITED && isPackable(scalar)) {
          return this.#packed(scalar, end, new Path(at.up, at.name));
        }
        return this.#scalar(scalar, wireType, end, at);
      }
      case 'map': {
        this.#expect(wireType, LENGTH_DELIMITED, at);
        const length = this.#length(end, at);
        return this.#mapEntry(field, this.pos + length, at, depth);
      }
    }
  }

  #nested(schema: DescMessage, end: number, at: Path, depth: number): void {
    const length = this.#length(end, at);
    this.message(schema, this.pos + length, at, depth + 1);
  }

  #mapEntry(field: DescField & { fieldKind: 'map' }, end: number, at: Path, depth: number): void {
    while (this.pos < end) {
      const tag = this.#varint(end, at);
      const number = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (number === 1) this.#scalar(field.mapKey, wireType, end, new Path(at, 'key'));
      else if (number === 2) this.#mapValue(field, wireType, end, new Path(at, 'value'), depth);
      else this.#skip(wireType, end, at);
    }
  }

  #mapValue(field: DescField & { fieldKind: 'map' }, wireType: number, end: number, at: Path, depth: number) {
    switch (field.mapKind) {
      case 'scalar':
        return this.#scalar(field.scalar, wireType, end, at);
      case 'enum':
        return this.#scalar(ScalarType.INT32, wireType, end, at);
      case 'message':
        this.#expect(wireType, LENGTH_DELIMITED, at);
        return this.#nested(field.message, end, at, depth);
    }
  }

  /** A packed repeated scalar; `at` names the list (its items get their index). */
  #packed(scalar: ScalarType, end: number, at: Path): void {
    const length = this.#length(end, at);
    const stop = this.pos + length;
    const wireType = wireTypeOf(scalar);
    for (let i = 0; this.pos < stop; i++) this.#scalar(scalar, wireType, stop, new Path(at.up, at.name, i));
    if (this.pos !== stop) throw new Refusal(at, 'a packed value runs past the end of its field');
  }

  #scalar(scalar: ScalarType, wireType: number, end: number, at: Path): void {
    this.#expect(wireType, wireTypeOf(scalar), at);
    if (wireType === VARINT) this.#varintValue(scalar, end, at);
    else if (wireType !== LENGTH_DELIMITED) this.#advance(wireType === FIXED64 ? 8 : 4, end, at);
    else {
      const length = this.#length(end, at);
      if (scalar === ScalarType.STRING && !isUtf8Text(this.bytes, this.pos, this.pos + length)) {
        throw new Refusal(at, 'not valid UTF-8 (proto3 strings must be)');
      }
      this.pos += length;
    }
  }

  /** A varint field's value: at most 10 bytes; for a 32-bit type, one that fits 32 bits. */
  #varintValue(scalar: ScalarType, end: number, at: Path): void {
    const start = this.pos;
    this.#varint(end, at);
    const size = this.pos - start;
    // uint32, and sint32 (zigzag maps the 32-bit range onto [0, 2^32)): at most 32 bits.
    const unsigned = scalar === ScalarType.UINT32 || scalar === ScalarType.SINT32;
    if (unsigned && (size > 5 || (size === 5 && (this.bytes[start + 4] ?? 0) > 0x0f))) {
      throw new Refusal(at, 'does not fit an unsigned 32-bit integer');
    }
    if (scalar === ScalarType.INT32 && !fitsInt32(this.bytes, start, size)) {
      throw new Refusal(at, 'does not fit a 32-bit integer');
    }
  }

  #skip(wireType: number, end: number, at: Path): void {
    if (wireType === VARINT) this.#varint(end, at);
    else if (wireType === FIXED64 || wireType === FIXED32)
      this.#advance(wireType === FIXED64 ? 8 : 4, end, at);
    else if (wireType === LENGTH_DELIMITED) {
      const length = this.#length(end, at); // before `this.pos +=`: it moves pos past the prefix
      this.pos += length;
    } else throw new Refusal(at, `wire type ${wireType} is not allowed (no groups in proto3)`);
  }

  #expect(actual: number, wanted: number, at: Path): void {
    if (actual !== wanted) throw new Refusal(at, `wire type ${actual} where ${wanted} was expected`);
  }

  #advance(count: number, end: number, at: Path): void {
    if (this.pos + count > end) throw new Refusal(at, 'runs past the end of the body');
    this.pos += count;
  }

  /** A length prefix that stays within `end`. */
  #length(end: number, at: Path): number {
    const length = this.#varint(end, at);
    if (length > end - this.pos) throw new Refusal(at, 'its length runs past the end of the body');
    return length;
  }

  /** A varint of at most 10 bytes within `end`; its value (exact up to 2^53, larger ones only compared). */
  #varint(end: number, at: Path): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new Refusal(at, 'a varint runs past the end of the body');
      const byte = this.bytes[this.pos++] ?? 0;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        if (i === 9 && byte > 1) break;
        return value;
      }
    }
    throw new Refusal(at, 'a varint is longer than 64 bits');
  }
}

/** Whether bytes[start, end) are UTF-8: ASCII checked here (most strings), the rest by node:buffer. */
function isUtf8Text(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if ((bytes[i] ?? 0) >= 0x80) return isUtf8(bytes.subarray(start, end));
  }
  return true;
}

const byNumber = new WeakMap<DescMessage, ReadonlyMap<number, DescField>>();

/** A message's fields by number (built once per schema). */
function fieldsOf(schema: DescMessage): ReadonlyMap<number, DescField> {
  let fields = byNumber.get(schema);
  if (fields === undefined) {
    fields = new Map(schema.fields.map((f) => [f.number, f]));
    byNumber.set(schema, fields);
  }
  return fields;
}

function wireTypeOf(scalar: ScalarType): number {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return FIXED64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return FIXED32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LENGTH_DELIMITED;
    default:
      return VARINT;
  }
}

const isPackable = (scalar: ScalarType): boolean => wireTypeOf(scalar) !== LENGTH_DELIMITED;

/**
 * Whether a varint read as a 64-bit two's complement value lies in [-2^31, 2^31): 1–5 bytes below
 * 2^31, or exactly 10 bytes sign-extending a negative 32-bit value (what encoders write for one).
 */
function fitsInt32(bytes: Uint8Array, start: number, size: number): boolean {
  if (size < 5) return true;
  if (size === 5) return (bytes[start + 4] ?? 0) <= 0x07;
  if (size !== 10) return false;
  // Bits 31..63 all set: byte 4 carries bits 28..34 (31..34 set → its high nibble 0x78 set), bytes
  // 5..8 are 0xff, byte 9 is 0x01.
  if (((bytes[start + 4] ?? 0) & 0x78) !== 0x78) return false;
  for (let i = 5; i < 9; i++) if (bytes[start + i] !== 0xff) return false;
  return bytes[start + 9] === 0x01;
}
