import { compareBytes, decodeUtf8, encodeUtf8 } from '../encoding/index.js';
import { CodedError } from '../error/index.js';

/**
 * The CBOR (RFC 8949) values MSI writes and reads: unsigned and negative integers within ±(2^53 − 1),
 * byte and text strings, arrays, maps with integer or text keys, tags, and null. Nothing else (no
 * floats, no indefinite lengths, no other simple values) is ever needed by a COSE receipt.
 */
export type CborValue = number | Uint8Array | string | null | readonly CborValue[] | CborMap | CborTag;
export type CborMap = ReadonlyMap<number | string, CborValue>;
export interface CborTag {
  readonly tag: number;
  readonly value: CborValue;
}

export class CborError extends CodedError<'CBOR_MALFORMED'> {}

const MAX_DEPTH = 16;

/**
 * The deterministic encoding of `value` (RFC 8949 §4.2.1, core deterministic encoding): the shortest
 * head for every length and integer, definite lengths, map entries in the bytewise order of their
 * encoded keys. Throws CBOR_MALFORMED for an integer beyond ±(2^53 − 1) or a repeated map key.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  const out: number[] = [];
  write(out, value);
  return Uint8Array.from(out);
}

function write(out: number[], value: CborValue): void {
  if (value === null) out.push(0xf6);
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw malformed(`${value} is not an integer within ±(2^53 − 1)`);
    if (value >= 0) head(out, 0, value);
    else head(out, 1, -1 - value);
  } else if (typeof value === 'string') bytes(out, 3, encodeUtf8(value));
  else if (value instanceof Uint8Array) bytes(out, 2, value);
  else if (Array.isArray(value)) {
    head(out, 4, value.length);
    for (const item of value as readonly CborValue[]) write(out, item);
  } else if (value instanceof Map) writeMap(out, value);
  else {
    const tag = value as CborTag;
    head(out, 6, tag.tag);
    write(out, tag.value);
  }
}

function writeMap(out: number[], map: CborMap): void {
  const entries = [...map].map(([key, item]) => ({ key: encodeCbor(key), item }));
  entries.sort((a, b) => compareBytes(a.key, b.key));
  head(out, 5, entries.length);
  entries.forEach((entry, i) => {
    const before = entries[i - 1];
    if (before !== undefined && compareBytes(before.key, entry.key) === 0)
      throw malformed('repeated map key');
    out.push(...entry.key);
    write(out, entry.item);
  });
}

function bytes(out: number[], major: number, data: Uint8Array): void {
  head(out, major, data.length);
  for (const byte of data) out.push(byte);
}

/** The shortest head of major type `major` with argument `n` (0 ≤ n ≤ 2^53 − 1). */
function head(out: number[], major: number, n: number): void {
  const type = major << 5;
  if (n < 24) out.push(type | n);
  else if (n < 0x100) out.push(type | 24, n);
  else if (n < 0x10000) out.push(type | 25, n >> 8, n & 0xff);
  else if (n < 0x1_0000_0000) out.push(type | 26, ...bigEndian(n, 4));
  else out.push(type | 27, ...bigEndian(n, 8));
}

function bigEndian(n: number, size: number): number[] {
  const result: number[] = [];
  let rest = BigInt(n);
  for (let i = 0; i < size; i++) {
    result.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return result;
}

/**
 * Decodes one CBOR data item (hostile input) that MUST be in the deterministic encoding of
 * {@link encodeCbor} and fill `data` exactly: a non-shortest head, an indefinite length, a float or
 * simple value other than null, an integer beyond ±(2^53 − 1), a text string that is not UTF-8 (or
 * starts with a byte order mark, as MSI's text never does), a map key that is not an integer or text
 * or out of order, nesting deeper than 16, or trailing bytes are refused with CBOR_MALFORMED. So every accepted value has exactly one accepted byte string.
 */
export function decodeCbor(data: Uint8Array): CborValue {
  const reader = { data, at: 0 };
  const value = read(reader, 0);
  if (reader.at !== data.length) throw malformed(`${data.length - reader.at} bytes after the data item`);
  return value;
}

interface Reader {
  readonly data: Uint8Array;
  at: number;
}

function read(r: Reader, depth: number): CborValue {
  if (depth > MAX_DEPTH) throw malformed(`nested deeper than ${MAX_DEPTH}`);
  const initial = take(r, 1)[0] as number;
  const major = initial >> 5;
  if (major === 7) {
    if (initial === 0xf6) return null;
    throw malformed(`byte 0x${initial.toString(16)} at ${r.at - 1}: only null of major type 7`);
  }
  const n = argument(r, initial & 0x1f);
  switch (major) {
    case 0:
      return n;
    case 1:
      return -1 - n;
    case 2:
      return new Uint8Array(take(r, n));
    case 3:
      return text(take(r, n));
    case 4:
      return Array.from({ length: remaining(r, n) }, () => read(r, depth + 1));
    case 5:
      return readMap(r, n, depth);
    default:
      return { tag: n, value: read(r, depth + 1) };
  }
}

function readMap(r: Reader, count: number, depth: number): CborMap {
  const map = new Map<number | string, CborValue>();
  let previous: Uint8Array | undefined;
  remaining(r, count);
  for (let i = 0; i < count; i++) {
    const start = r.at;
    const key = read(r, depth + 1);
    if (typeof key !== 'number' && typeof key !== 'string')
      throw malformed('a map key is not an integer or text');
    const encoded = r.data.subarray(start, r.at);
    if (previous !== undefined && compareBytes(previous, encoded) >= 0) {
      throw malformed('map keys are not in deterministic order (or repeated)');
    }
    previous = encoded;
    map.set(key, read(r, depth + 1));
  }
  return map;
}

/** The argument of a head: shortest form only, at most 2^53 − 1. */
function argument(r: Reader, info: number): number {
  if (info < 24) return info;
  if (info > 27) throw malformed(`additional information ${info} (indefinite or reserved) at ${r.at - 1}`);
  const size = 1 << (info - 24);
  let n = 0n;
  for (const byte of take(r, size)) n = (n << 8n) | BigInt(byte);
  const shortest = size === 1 ? 24n : 1n << BigInt(4 * size);
  if (n < shortest) throw malformed(`argument ${n} not in its shortest form at ${r.at - size - 1}`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`argument ${n} is above 2^53 − 1`);
  return Number(n);
}

/** Each item of an array or map entry takes at least one byte: refuses counts the input cannot hold. */
function remaining(r: Reader, count: number): number {
  if (count > r.data.length - r.at)
    throw malformed(`${count} items announced, ${r.data.length - r.at} bytes left`);
  return count;
}

function take(r: Reader, size: number): Uint8Array {
  if (size > r.data.length - r.at)
    throw malformed(`${size} bytes wanted at ${r.at}, ${r.data.length - r.at} left`);
  const slice = r.data.subarray(r.at, r.at + size);
  r.at += size;
  return slice;
}

function text(data: Uint8Array): string {
  try {
    return decodeUtf8(data);
  } catch {
    throw malformed('a text string is not UTF-8');
  }
}

function malformed(message: string): CborError {
  return new CborError('CBOR_MALFORMED', `CBOR: ${message}`);
}
