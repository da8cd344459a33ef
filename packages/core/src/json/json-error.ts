import { CodedError } from '../error/coded-error.js';

/**
 * Why a value could not be canonicalised or a text is not canonical JSON (RFC 8785). A closed set:
 * callers switch on `code`, never on the message.
 *
 * - `UNSUPPORTED_VALUE`: the value is outside the I-JSON data model JCS serialises: a non-finite
 *   number, `undefined`, a function, a symbol, a bigint, a non-plain object (Date, Map, class
 *   instance...), a sparse array, a cycle, a string with a lone surrogate, or nesting deeper than
 *   {@link MAX_JSON_DEPTH}.
 * - `MALFORMED_JSON`: the text is not JSON (RFC 8259), or nests deeper than {@link MAX_JSON_DEPTH}.
 * - `NOT_CANONICAL`: the text is JSON but not exactly the canonical serialisation of its value
 *   (white space, member order, number or string spelling, duplicate member names, ...).
 */
export type JsonErrorCode = 'UNSUPPORTED_VALUE' | 'MALFORMED_JSON' | 'NOT_CANONICAL';

/** The one error class of the canonical-JSON area. */
export class JsonError extends CodedError<JsonErrorCode> {
  override readonly name = 'JsonError';
}

/**
 * The deepest nesting of arrays and objects accepted (RFC 8259 §9 lets a parser limit it). MSI
 * documents nest a few levels; the limit keeps hostile input from exhausting the stack.
 */
export const MAX_JSON_DEPTH = 64;
