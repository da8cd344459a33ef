import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';
import { bytesEqual } from './bytes.js';
import { EncodingError } from './encoding-error.js';

/** The header every MSI record starts with: `magic bytes[4] || version u8`. */
export interface RecordHeader {
  /** Four ASCII bytes naming the record type, e.g. "MSIE". */
  readonly magic: Uint8Array;
  readonly version: number;
}

/** The header of a record type from its four-letter ASCII magic and its version. */
export function recordHeader(magic: string, version: number): RecordHeader {
  if (!/^[\x21-\x7e]{4}$/.test(magic)) throw new RangeError(`magic must be 4 ASCII characters: ${magic}`);
  return { magic: new TextEncoder().encode(magic), version };
}

export function writeHeader(writer: ByteWriter, header: RecordHeader): void {
  writer.bytes(header.magic, 4).u8(header.version);
}

/** Reads and checks a header from hostile input: BAD_MAGIC, UNKNOWN_VERSION, TRUNCATED. */
export function readHeader(reader: ByteReader, header: RecordHeader): void {
  if (!bytesEqual(reader.bytes('magic', 4), header.magic)) {
    throw new EncodingError('BAD_MAGIC', 'magic', 'magic is not that of the expected record');
  }
  const version = reader.u8('version');
  if (version !== header.version) {
    throw new EncodingError('UNKNOWN_VERSION', 'version', `version ${version} is unknown`);
  }
}
