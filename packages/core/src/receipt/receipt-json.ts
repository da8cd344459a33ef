import { canonicalJson, JsonError, parseCanonicalJson } from '../json/index.js';
import { decodeBase64, encodeBase64 } from '../note/index.js';
import { RECEIPT_VERSION, type Receipt, type ReceiptExtension, type ReceiptProof } from './receipt.js';

/** Receipt v1's version number, for the parsers of later versions that embed one. */
export const RECEIPT_VERSION_1 = RECEIPT_VERSION;

import { ReceiptError } from './receipt-error.js';

/** The canonical (RFC 8785) JSON text of a receipt, without a trailing newline. */
export function receiptToJson(receipt: Receipt): string {
  const proof = (p: ReceiptProof) => ({
    leafIndex: p.leafIndex,
    treeSize: p.treeSize,
    hashes: p.hashes.map(encodeBase64),
  });
  return canonicalJson({
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
  });
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
