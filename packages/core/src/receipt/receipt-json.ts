import { canonicalJson, JsonError, parseCanonicalJson } from '../json/index.js';
import { decodeBase64, encodeBase64 } from '../note/index.js';
import { RECEIPT_VERSION, type Receipt, type ReceiptExtension, type ReceiptProof } from './receipt.js';
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
  if (root.version !== RECEIPT_VERSION) {
    if (typeof root.version === 'number') {
      throw new ReceiptError(
        'UNSUPPORTED_VERSION',
        `receipt version ${root.version} is not supported (want 1)`,
      );
    }
    throw malformed('version must be the number 1');
  }
  object(value, 'receipt', RECEIPT_KEYS, ['extension']);
  return {
    version: RECEIPT_VERSION,
    event: bytes(root.event, 'event'),
    eventProof: proof(root.eventProof, 'eventProof'),
    seal: bytes(root.seal, 'seal'),
    sealProof: proof(root.sealProof, 'sealProof'),
    round: bytes(root.round, 'round'),
    roundProof: proof(root.roundProof, 'roundProof'),
    checkpoint: string(root.checkpoint, 'checkpoint'),
    ...(root.extension === undefined ? {} : { extension: extension(root.extension) }),
  };
}

/** The receipt text without the one "\n" a file may end with. */
function withoutFinalNewline(input: string | Uint8Array): string | Uint8Array {
  if (typeof input === 'string') return input.endsWith('\n') ? input.slice(0, -1) : input;
  return input.at(-1) === 0x0a ? input.subarray(0, -1) : input;
}

function extension(value: unknown): ReceiptExtension {
  const ext = object(value, 'extension', EXTENSION_KEYS, []);
  return {
    checkpoint: string(ext.checkpoint, 'extension.checkpoint'),
    consistency: hashes(ext.consistency, 'extension.consistency'),
  };
}

function proof(value: unknown, name: string): ReceiptProof {
  const p = object(value, name, PROOF_KEYS, []);
  return {
    leafIndex: integer(p.leafIndex, `${name}.leafIndex`),
    treeSize: integer(p.treeSize, `${name}.treeSize`),
    hashes: hashes(p.hashes, `${name}.hashes`),
  };
}

function object(
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

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function hashes(value: unknown, name: string): Uint8Array[] {
  if (!Array.isArray(value)) throw malformed(`${name} must be an array`);
  return value.map((item, i) => bytes(item, `${name}[${i}]`));
}

function bytes(value: unknown, name: string): Uint8Array {
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

function malformed(message: string): ReceiptError {
  return new ReceiptError('RECEIPT_MALFORMED', message);
}
