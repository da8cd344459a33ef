export { ByteReader } from './byte-reader.js';
export { ByteWriter } from './byte-writer.js';
export { bytesEqual, compareBytes } from './bytes.js';
export { EncodingError, type EncodingErrorCode } from './encoding-error.js';
export { isUint, MAX_U16, MAX_U32, MAX_U64 } from './limits.js';
export { type RecordHeader, readHeader, recordHeader, writeHeader } from './record-header.js';
export { decodeUtf8, encodeUtf8, isWellFormedText, utf8Length } from './utf8.js';
