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
    walker.message(schema, body.length, '', 0);
    return undefined;
  } catch (error: unknown) {
    if (error instanceof Refusal) return { field: error.field, message: error.message };
    throw error;
  }
}

class Refusal extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

class Walker {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  message(schema: DescMessage, end: number, path: string, depth: number): void {
    if (depth > MAX_DEPTH) throw new Refusal(path, `messages nested more than ${MAX_DEPTH} deep`);
    const counts = new Map<number, number>();
    while (this.pos < end) {
      const tag = this.varint(end, path);
      const number = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (number < 1 || number > 0x1fffffff) throw new Refusal(path, `field number ${number} is not valid`);
      const field = schema.fields.find((f) => f.number === number);
      if (field === undefined) {
        this.skip(wireType, end, join(path, `#${number}`));
        continue;
      }
      const index = counts.get(number) ?? 0;
      counts.set(number, index + 1);
      this.field(field, wireType, end, join(path, field.name), index, depth);
    }
    if (this.pos !== end) throw new Refusal(path, 'the last field runs past the end of its message');
  }

  private field(field: DescField, wireType: number, end: number, name: string, index: number, depth: number) {
    switch (field.fieldKind) {
      case 'scalar':
        return this.scalar(field.scalar, wireType, end, name);
      case 'enum':
        return this.scalar(ScalarType.INT32, wireType, end, name);
      case 'message':
        this.expect(wireType, LENGTH_DELIMITED, name);
        return this.nested(field.message, end, name, depth);
      case 'list': {
        const item = `${name}[${index}]`;
        if (field.listKind === 'message') {
          this.expect(wireType, LENGTH_DELIMITED, item);
          return this.nested(field.message, end, item, depth);
        }
        const scalar = field.listKind === 'enum' ? ScalarType.INT32 : field.scalar;
        if (wireType === LENGTH_DELIMITED && isPackable(scalar)) return this.packed(scalar, end, name);
        return this.scalar(scalar, wireType, end, item);
      }
      case 'map': {
        this.expect(wireType, LENGTH_DELIMITED, `${name}[${index}]`);
        const length = this.length(end, `${name}[${index}]`);
        return this.mapEntry(field, this.pos + length, `${name}[${index}]`, depth);
      }
    }
  }

  private nested(schema: DescMessage, end: number, path: string, depth: number): void {
    const length = this.length(end, path);
    this.message(schema, this.pos + length, path, depth + 1);
  }

  private mapEntry(field: DescField & { fieldKind: 'map' }, end: number, path: string, depth: number): void {
    while (this.pos < end) {
      const tag = this.varint(end, path);
      const number = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (number === 1) this.scalar(field.mapKey, wireType, end, `${path}.key`);
      else if (number === 2) this.mapValue(field, wireType, end, `${path}.value`, depth);
      else this.skip(wireType, end, path);
    }
  }

  private mapValue(
    field: DescField & { fieldKind: 'map' },
    wireType: number,
    end: number,
    name: string,
    depth: number,
  ) {
    switch (field.mapKind) {
      case 'scalar':
        return this.scalar(field.scalar, wireType, end, name);
      case 'enum':
        return this.scalar(ScalarType.INT32, wireType, end, name);
      case 'message':
        this.expect(wireType, LENGTH_DELIMITED, name);
        return this.nested(field.message, end, name, depth);
    }
  }

  private packed(scalar: ScalarType, end: number, name: string): void {
    const length = this.length(end, name);
    const stop = this.pos + length;
    const wireType = wireTypeOf(scalar);
    for (let i = 0; this.pos < stop; i++) this.scalar(scalar, wireType, stop, `${name}[${i}]`);
    if (this.pos !== stop) throw new Refusal(name, 'a packed value runs past the end of its field');
  }

  private scalar(scalar: ScalarType, wireType: number, end: number, name: string): void {
    this.expect(wireType, wireTypeOf(scalar), name);
    if (wireType === VARINT) this.varintValue(scalar, end, name);
    else if (wireType !== LENGTH_DELIMITED) this.advance(wireType === FIXED64 ? 8 : 4, end, name);
    else {
      const length = this.length(end, name);
      if (scalar === ScalarType.STRING && !isUtf8(this.bytes.subarray(this.pos, this.pos + length))) {
        throw new Refusal(name, 'not valid UTF-8 (proto3 strings must be)');
      }
      this.pos += length;
    }
  }

  /** A varint field's value: at most 10 bytes; for a 32-bit type, one that fits 32 bits. */
  private varintValue(scalar: ScalarType, end: number, name: string): void {
    const start = this.pos;
    this.varint(end, name);
    const size = this.pos - start;
    // uint32, and sint32 (zigzag maps the 32-bit range onto [0, 2^32)): at most 32 bits.
    const unsigned = scalar === ScalarType.UINT32 || scalar === ScalarType.SINT32;
    if (unsigned && (size > 5 || (size === 5 && (this.bytes[start + 4] ?? 0) > 0x0f))) {
      throw new Refusal(name, 'does not fit an unsigned 32-bit integer');
    }
    if (scalar === ScalarType.INT32 && !fitsInt32(this.bytes, start, size)) {
      throw new Refusal(name, 'does not fit a 32-bit integer');
    }
  }

  private skip(wireType: number, end: number, name: string): void {
    if (wireType === VARINT) this.varint(end, name);
    else if (wireType === FIXED64 || wireType === FIXED32)
      this.advance(wireType === FIXED64 ? 8 : 4, end, name);
    else if (wireType === LENGTH_DELIMITED) {
      const length = this.length(end, name); // before `this.pos +=`: it moves pos past the prefix
      this.pos += length;
    } else throw new Refusal(name, `wire type ${wireType} is not allowed (no groups in proto3)`);
  }

  private expect(actual: number, wanted: number, name: string): void {
    if (actual !== wanted) throw new Refusal(name, `wire type ${actual} where ${wanted} was expected`);
  }

  private advance(count: number, end: number, name: string): void {
    if (this.pos + count > end) throw new Refusal(name, 'runs past the end of the body');
    this.pos += count;
  }

  /** A length prefix that stays within `end`. */
  private length(end: number, name: string): number {
    const length = this.varint(end, name);
    if (length > end - this.pos) throw new Refusal(name, 'its length runs past the end of the body');
    return length;
  }

  /** A varint of at most 10 bytes within `end`; its value (exact up to 2^53, larger ones only compared). */
  private varint(end: number, name: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new Refusal(name, 'a varint runs past the end of the body');
      const byte = this.bytes[this.pos++] ?? 0;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        if (i === 9 && byte > 1) break;
        return value;
      }
    }
    throw new Refusal(name, 'a varint is longer than 64 bits');
  }
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

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
