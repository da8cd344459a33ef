import { encodeImprint, parseImprintText, parseUuid } from '@msi/core';
import { ConsoleError } from './console-error.js';

// Readers of a request body's fields (hostile input: any JSON a browser or a script sends). Each
// refusal names the field; nothing is echoed back beyond its name.

export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConsoleError('BODY_NOT_JSON', 'the request body must be a JSON object');
  }
  return value as JsonObject;
}

export function optionalText(body: JsonObject, field: string, maxLength = 256): string {
  const value = body[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > maxLength) {
    throw invalid(field, `a string of at most ${maxLength} characters`);
  }
  return value;
}

export function requiredText(body: JsonObject, field: string, maxLength = 256): string {
  const value = optionalText(body, field, maxLength);
  if (value === '') throw invalid(field, 'a non-empty string');
  return value;
}

export function optionalCount(body: JsonObject, field: string, max: number): number {
  const value = body[field];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw invalid(field, `an integer 0–${max}`);
  }
  return value;
}

/**
 * A non-negative integer that may pass 2^53 (an instant in µs, a round), given as decimal text or as
 * a safe integer; absent is 0n. At most `max`.
 */
export function optionalBigCount(body: JsonObject, field: string, max: bigint): bigint {
  const value = body[field];
  if (value === undefined || value === null || value === '') return 0n;
  const want = `a decimal integer 0–${max} (text or number)`;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0 || BigInt(value) > max) throw invalid(field, want);
    return BigInt(value);
  }
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(value) || BigInt(value) > max) {
    throw invalid(field, want);
  }
  return BigInt(value);
}

/** A text of 1–`maxBytes` bytes of UTF-8 (an identity compared byte for byte upstream). */
export function requiredUtf8(body: JsonObject, field: string, maxBytes: number): string {
  const value = body[field];
  if (
    typeof value !== 'string' ||
    value === '' ||
    LONE_SURROGATE.test(value) ||
    Buffer.byteLength(value, 'utf8') > maxBytes
  ) {
    throw invalid(field, `a non-empty string of at most ${maxBytes} bytes of UTF-8`);
  }
  return value;
}

/** An imprint text (`sha256:<hex>`) as the wire's imprint bytes. */
export function imprintField(body: JsonObject, field: string): Buffer {
  const text = requiredText(body, field, 300);
  try {
    return Buffer.from(encodeImprint(parseImprintText(text)));
  } catch {
    throw invalid(field, 'an imprint such as sha256:<64 hex digits>');
  }
}

/** A UUID text as its 16 bytes. */
export function uuidField(body: JsonObject, field: string): Buffer {
  const text = requiredText(body, field, 36);
  try {
    return Buffer.from(parseUuid(text));
  } catch {
    throw invalid(field, 'a UUID (8-4-4-4-12 hex digits)');
  }
}

/** One of a closed set of names; absent is `undefined`. */
export function optionalChoice<T extends string>(
  body: JsonObject,
  field: string,
  choices: readonly T[],
): T | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw invalid(field, `one of ${choices.join(', ')}`);
  }
  return value as T;
}

/** A boolean; absent is false. */
export function optionalFlag(body: JsonObject, field: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(field, 'true or false');
  return value;
}

/** A UTF-16 surrogate without its pair: no UTF-8 encodes it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function invalid(field: string, want: string): ConsoleError {
  return new ConsoleError('FIELD_INVALID', `${field} must be ${want}`);
}
