import { hexToBytes } from '@noble/hashes/utils.js';
import { UuidError } from './uuid-error.js';
import { isUuidV7, UUID_SIZE } from './uuid-v7.js';

const TEXT_FORM = /^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})$/;

/** The RFC 9562 text form of a UUID: 8-4-4-4-12 lower-case hex digits. Throws UuidError MALFORMED. */
export function formatUuid(uuid: Uint8Array): string {
  if (uuid.length !== UUID_SIZE) {
    throw new UuidError('MALFORMED', `UUID has ${uuid.length} bytes, want ${UUID_SIZE}`);
  }
  // The 36 characters as ASCII bytes, read as text in one call: a flat string, not a rope of pieces
  // (which a Map lookup or comparison would flatten and hash again).
  const text = new Uint8Array(36);
  let at = 0;
  for (let i = 0; i < UUID_SIZE; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d;
    const byte = uuid[i] as number;
    text[at++] = HEX_DIGITS[byte >> 4] as number;
    text[at++] = HEX_DIGITS[byte & 0x0f] as number;
  }
  return ASCII.decode(text);
}

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** Every character written is ASCII, which windows-1252 (the "latin1" label) reads as is. */
const ASCII = new TextDecoder('latin1');

/**
 * Parses the text form of any UUID, strictly: exactly 36 characters, hyphens at 8, 13, 18 and 23,
 * hex digits (either case) elsewhere; no braces, no `urn:uuid:`, no white space. `text` is hostile
 * input. Throws UuidError MALFORMED.
 */
export function parseUuid(text: string): Uint8Array {
  const match = text.length === 36 ? TEXT_FORM.exec(text) : null;
  if (match === null) throw new UuidError('MALFORMED', 'UUID text is not 8-4-4-4-12 hex digits');
  return hexToBytes(match.slice(1).join(''));
}

/** Parses the text form of a UUIDv7. Throws UuidError MALFORMED or NOT_V7. */
export function parseUuidV7(text: string): Uint8Array {
  const uuid = parseUuid(text);
  if (!isUuidV7(uuid)) throw new UuidError('NOT_V7', 'UUID is not version 7 with the RFC 9562 variant');
  return uuid;
}
