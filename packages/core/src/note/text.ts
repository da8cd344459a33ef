const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** UTF-8 bytes of `text`. Precondition: `text` is well formed (see {@link isWellFormed}). */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/**
 * The text of hostile `bytes` if they are valid UTF-8 (a leading byte-order mark is kept as text,
 * never stripped), else `undefined`.
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `text` has no lone UTF-16 surrogate, i.e. it has exactly one UTF-8 encoding. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Whether `text` has an ASCII control character (below U+0020) other than `\n`. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return false;
}

// Go's unicode.IsSpace (White_Space property), which golang.org/x/mod/sumdb/note uses for key names.
const SPACE_OR_PLUS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000+]/;

/**
 * Whether `name` is a valid key name (C2SP signed-note): non-empty, well formed, without Unicode
 * spaces or `+`. We also refuse control characters, which a note can never carry.
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && isWellFormed(name) && !SPACE_OR_PLUS.test(name) && !hasControlCharacter(name);
}
