import { canonicalJson, JsonError, parseCanonicalJson } from '../json/index.js';
import { base64Length, decodeBase64, encodeBase64, encodeBase64Into } from '../note/index.js';
import { RECEIPT_VERSION, type Receipt, type ReceiptExtension, type ReceiptProof } from './receipt.js';

/** Receipt v1's version number, for the parsers of later versions that embed one. */
export const RECEIPT_VERSION_1 = RECEIPT_VERSION;

import { ReceiptError } from './receipt-error.js';

/**
 * The canonical (RFC 8785) JSON text of a receipt, without a trailing newline: canonicalJson of
 * {@link receiptToValue}, written directly. Its members go out in their sorted order (`checkpoint`,
 * `event`, `eventProof`, `extension`, `round`, `roundProof`, `seal`, `sealProof`, `version`; a
 * proof's `hashes`, `leafIndex`, `treeSize`): the checkpoint texts as canonicalJson spells them (the
 * last one remembered: consecutive receipts mostly share it), everything else — base64, numbers,
 * punctuation — as ASCII bytes read back as text in one call per run between two checkpoint texts.
 * A verifier answering GetReceipt writes one per call; the generic serialiser (an object per proof,
 * a string per hash, a sort per object) was a third of that call's own work.
 */
export function receiptToJson(receipt: Receipt): string {
  const ascii = new AsciiRun();
  const proof = (p: ReceiptProof) => {
    ascii.text('{"hashes":');
    ascii.base64List(p.hashes);
    ascii.text(',"leafIndex":');
    ascii.text(jsonNumber(p.leafIndex));
    ascii.text(',"treeSize":');
    ascii.text(jsonNumber(p.treeSize));
    ascii.text('}');
  };
  let json = `{"checkpoint":${checkpointJson(receipt.checkpoint)}`;
  ascii.text(',"event":');
  ascii.base64(receipt.event);
  ascii.text(',"eventProof":');
  proof(receipt.eventProof);
  const extension = receipt.extension;
  if (extension !== undefined) {
    ascii.text(',"extension":{"checkpoint":');
    json += ascii.take() + checkpointJson(extension.checkpoint);
    ascii.text(',"consistency":');
    ascii.base64List(extension.consistency);
    ascii.text('}');
  }
  ascii.text(',"round":');
  ascii.base64(receipt.round);
  ascii.text(',"roundProof":');
  proof(receipt.roundProof);
  ascii.text(',"seal":');
  ascii.base64(receipt.seal);
  ascii.text(',"sealProof":');
  proof(receipt.sealProof);
  ascii.text(',"version":');
  ascii.text(jsonNumber(receipt.version));
  ascii.text('}');
  return json + ascii.take();
}

/** A number as canonicalJson spells it (which throws for one that is not finite). */
const jsonNumber = (n: number): string => (Number.isFinite(n) ? JSON.stringify(n) : canonicalJson(n));

let lastCheckpoint: { text: string; json: string } | undefined;
/** canonicalJson of a checkpoint text (it throws for a lone surrogate), the last one remembered. */
function checkpointJson(text: string): string {
  if (lastCheckpoint?.text === text) return lastCheckpoint.json;
  const json = canonicalJson(text);
  lastCheckpoint = { text, json };
  return json;
}

/**
 * ASCII text written as bytes into a scratch buffer shared by every call (grown when short) and read
 * back as a string by take(): base64 of byte strings, numbers and punctuation, never a checkpoint.
 */
class AsciiRun {
  #at = 0;

  text(ascii: string): void {
    this.#room(ascii.length);
    for (let i = 0; i < ascii.length; i++) scratch[this.#at++] = ascii.charCodeAt(i);
  }

  base64(bytes: Uint8Array): void {
    this.#room(base64Length(bytes.length) + 2);
    scratch[this.#at++] = QUOTE;
    this.#at = encodeBase64Into(bytes, scratch, this.#at);
    scratch[this.#at++] = QUOTE;
  }

  base64List(list: readonly Uint8Array[]): void {
    this.text('[');
    list.forEach((bytes, i) => {
      if (i > 0) this.text(',');
      this.base64(bytes);
    });
    this.text(']');
  }

  /** The text written since the last take. */
  take(): string {
    const text = LATIN1.decode(scratch.subarray(0, this.#at));
    this.#at = 0;
    return text;
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= scratch.length) return;
    const grown = new Uint8Array(Math.max(scratch.length * 2, this.#at + bytes));
    grown.set(scratch.subarray(0, this.#at));
    scratch = grown;
  }
}

let scratch = new Uint8Array(16 * 1024);
const QUOTE = 0x22;
/** Every byte written is ASCII, which windows-1252 (the "latin1" label) reads as is. */
const LATIN1 = new TextDecoder('latin1');

/**
 * The JSON value whose canonical text is {@link receiptToJson}: the receipt with its byte strings as
 * base64 (docs/PROOFS.md §8), `extension` only when there is one.
 */
export function receiptToValue(receipt: Receipt): Record<string, unknown> {
  const proof = (p: ReceiptProof) => ({
    leafIndex: p.leafIndex,
    treeSize: p.treeSize,
    hashes: p.hashes.map(encodeBase64),
  });
  return {
    version: receipt.version,
    event: encodeBase64(receipt.event),
    eventProof: proof(receipt.eventProof),
    seal: encodeBase64(receipt.seal),
    sealProof: proof(receipt.sealProof),
    round: encodeBase64(receipt.round),
    roundProof: proof(receipt.roundProof),
    checkpoint: receipt.checkpoint,
    ...(receipt.extension === undefined
      ? {}
      : {
          extension: {
            checkpoint: receipt.extension.checkpoint,
            consistency: receipt.extension.consistency.map(encodeBase64),
          },
        }),
  };
}

const RECEIPT_KEYS = [
  'checkpoint',
  'event',
  'eventProof',
  'round',
  'roundProof',
  'seal',
  'sealProof',
  'version',
];
const PROOF_KEYS = ['hashes', 'leafIndex', 'treeSize'];
const EXTENSION_KEYS = ['checkpoint', 'consistency'];

/**
 * Parses a receipt file (hostile input): the canonical JSON text, optionally followed by one "\n",
 * as a string or as bytes (which must be UTF-8). Throws ReceiptError, checking in this order
 * (docs/PROOFS.md §8, step 1): RECEIPT_MALFORMED (not JSON, not UTF-8), RECEIPT_NOT_CANONICAL,
 * RECEIPT_MALFORMED (not an object; `version` missing or not a number), UNSUPPORTED_VERSION (a
 * number other than 1: whatever the other members, as they may differ in another version), then
 * RECEIPT_MALFORMED for the shape. Only the shape is checked here; verifyReceipt checks the contents.
 */
export function parseReceiptJson(input: string | Uint8Array): Receipt {
  const root = readReceiptValue(input);
  if (root.version !== RECEIPT_VERSION) {
    throw new ReceiptError(
      'UNSUPPORTED_VERSION',
      `receipt version ${String(root.version)} is not supported (want 1)`,
    );
  }
  return receiptFromValue(root, 'receipt');
}

/**
 * Step 1 of docs/PROOFS.md §8 up to the version, shared by every receipt version: the text (less one
 * final "\n") must be UTF-8, JSON, canonical, and an object whose `version` is a number. Returns the
 * object; the caller checks the version and the members. Throws ReceiptError RECEIPT_MALFORMED or
 * RECEIPT_NOT_CANONICAL.
 */
export function readReceiptValue(input: string | Uint8Array): Record<string, unknown> & { version: number } {
  let value: unknown;
  try {
    value = parseCanonicalJson(withoutFinalNewline(input));
  } catch (error: unknown) {
    if (error instanceof JsonError && error.code === 'NOT_CANONICAL') {
      throw new ReceiptError(
        'RECEIPT_NOT_CANONICAL',
        `receipt is not canonical JSON (RFC 8785): ${error.message}`,
        { cause: error },
      );
    }
    throw new ReceiptError('RECEIPT_MALFORMED', `receipt is not JSON: ${String(error)}`, { cause: error });
  }
  const root = record(value, 'receipt');
  if (typeof root.version !== 'number') throw malformed('version must be a number (1 or 2)');
  return root as Record<string, unknown> & { version: number };
}

/**
 * A receipt v1 from its JSON value (already of version 1), checking the members and their types
 * (RECEIPT_MALFORMED, naming the member under `name`): used for a receipt file and for the root
 * receipt a receipt v2 embeds.
 */
export function receiptFromValue(value: unknown, name: string): Receipt {
  const root = object(value, name, RECEIPT_KEYS, ['extension']);
  return {
    version: RECEIPT_VERSION,
    event: bytes(root.event, `${prefixed(name, 'event')}`),
    eventProof: proof(root.eventProof, prefixed(name, 'eventProof')),
    seal: bytes(root.seal, prefixed(name, 'seal')),
    sealProof: proof(root.sealProof, prefixed(name, 'sealProof')),
    round: bytes(root.round, prefixed(name, 'round')),
    roundProof: proof(root.roundProof, prefixed(name, 'roundProof')),
    checkpoint: string(root.checkpoint, prefixed(name, 'checkpoint')),
    ...(root.extension === undefined ? {} : { extension: extension(root.extension, name) }),
  };
}

/** A member's path in messages: bare for the receipt file itself, `rootReceipt.event` when nested. */
function prefixed(name: string, member: string): string {
  return name === 'receipt' ? member : `${name}.${member}`;
}

/** The receipt text without the one "\n" a file may end with. */
function withoutFinalNewline(input: string | Uint8Array): string | Uint8Array {
  if (typeof input === 'string') return input.endsWith('\n') ? input.slice(0, -1) : input;
  return input.at(-1) === 0x0a ? input.subarray(0, -1) : input;
}

function extension(value: unknown, receipt: string): ReceiptExtension {
  const name = prefixed(receipt, 'extension');
  const ext = object(value, name, EXTENSION_KEYS, []);
  return {
    checkpoint: string(ext.checkpoint, `${name}.checkpoint`),
    consistency: hashes(ext.consistency, `${name}.consistency`),
  };
}

/** An inclusion proof member (`{hashes, leafIndex, treeSize}`), RECEIPT_MALFORMED naming `name`. */
export function proof(value: unknown, name: string): ReceiptProof {
  const p = object(value, name, PROOF_KEYS, []);
  return {
    leafIndex: integer(p.leafIndex, `${name}.leafIndex`),
    treeSize: integer(p.treeSize, `${name}.treeSize`),
    hashes: hashes(p.hashes, `${name}.hashes`),
  };
}

export function object(
  value: unknown,
  name: string,
  required: readonly string[],
  optional: readonly string[],
): Record<string, unknown> {
  const members = record(value, name);
  for (const key of required) if (!(key in members)) throw malformed(`${name}.${key} is missing`);
  for (const key of Object.keys(members)) {
    if (!required.includes(key) && !optional.includes(key))
      throw malformed(`${name}.${key} is not a receipt member`);
  }
  return members;
}

export function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function hashes(value: unknown, name: string): Uint8Array[] {
  if (!Array.isArray(value)) throw malformed(`${name} must be an array`);
  return value.map((item, i) => bytes(item, `${name}[${i}]`));
}

export function bytes(value: unknown, name: string): Uint8Array {
  const decoded = decodeBase64(string(value, name));
  if (decoded === undefined) throw malformed(`${name} is not canonical base64`);
  return decoded;
}

function string(value: unknown, name: string): string {
  if (typeof value !== 'string') throw malformed(`${name} must be a string`);
  return value;
}

function integer(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw malformed(`${name} must be an integer in [0, 2^53 - 1]`);
  }
  return value;
}

export function malformed(message: string): ReceiptError {
  return new ReceiptError('RECEIPT_MALFORMED', message);
}
