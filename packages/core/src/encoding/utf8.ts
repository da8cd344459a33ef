import { EncodingError } from './encoding-error.js';

const encoder = new TextEncoder();
// fatal: ill-formed input throws instead of becoming U+FFFD; ignoreBOM: a leading BOM is kept in the
// output (not silently stripped), so that we can reject it.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const BOM = 0xfeff;

/**
 * The UTF-8 byte length of `text`, or undefined when `text` cannot be encoded as well-formed UTF-8
 * (it holds a lone surrogate). Does not allocate.
 */
export function utf8Length(text: string): number | undefined {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit < 0xd800 || unit > 0xdfff) length += 3;
    else if (unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      length += 4;
      i++;
    } else return undefined;
  }
  return length;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** True when `text` is an acceptable `str` value: well-formed (no lone surrogate) and without a leading BOM. */
export function isWellFormedText(text: string): boolean {
  return text.charCodeAt(0) !== BOM && utf8Length(text) !== undefined;
}

/**
 * Writes the UTF-8 bytes of `text` into `target` at `offset`, which must have room for `length` =
 * utf8Length(text) bytes; ASCII is copied by a loop (short strings: cheaper than a call into the
 * encoder), the rest by TextEncoder.encodeInto. Precondition: {@link isWellFormedText}(text).
 */
export function writeUtf8(text: string, length: number, target: Uint8Array, offset: number): void {
  if (length === text.length) {
    for (let i = 0; i < length; i++) target[offset + i] = text.charCodeAt(i);
    return;
  }
  encoder.encodeInto(text, target.subarray(offset, offset + length));
}

/** UTF-8 bytes of `text`. Throws EncodingError BAD_UTF8 unless {@link isWellFormedText}. */
export function encodeUtf8(text: string, field = ''): Uint8Array {
  if (!isWellFormedText(text)) {
    throw new EncodingError('BAD_UTF8', field, `${field || 'text'}: lone surrogate or leading BOM`);
  }
  return encoder.encode(text);
}

/**
 * Decodes hostile `bytes` as UTF-8. Throws EncodingError BAD_UTF8 on ill-formed UTF-8 (overlong forms,
 * surrogates, code points above U+10FFFF, truncated sequences) and on a leading BOM.
 */
export function decodeUtf8(bytes: Uint8Array, field = ''): string {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new EncodingError('BAD_UTF8', field, `${field || 'text'}: ill-formed UTF-8`, { cause });
  }
  if (text.charCodeAt(0) === BOM) {
    throw new EncodingError('BAD_UTF8', field, `${field || 'text'}: starts with a byte order mark`);
  }
  return text;
}
