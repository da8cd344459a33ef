import { encodeUtf8 } from '../encoding/index.js';
import { base64Length, encodeBase64Into } from '../note/index.js';
import { AGGREGATED_RECEIPT_VERSION, type AggregatedReceipt } from './aggregated-receipt.js';
import type { Receipt, ReceiptProof } from './receipt.js';
import { ReceiptError } from './receipt-error.js';
import {
  bytes,
  malformed,
  object,
  proof,
  RECEIPT_VERSION_1,
  readReceiptValue,
  receiptFromValue,
  receiptToJson,
  record,
} from './receipt-json.js';

const V2_KEYS = ['event', 'localProof', 'rootReceipt', 'version'];
const ascii = (text: string): Uint8Array => encodeUtf8(text);
const PART = {
  open: ascii('{"event":"'),
  proof: ascii('","localProof":{"hashes":['),
  hashOpen: ascii('"'),
  hashNext: ascii('","'),
  hashClose: ascii('"'),
  leafIndex: ascii('],"leafIndex":'),
  treeSize: ascii(',"treeSize":'),
  root: ascii('},"rootReceipt":'),
  close: ascii(',"version":2}'),
};
const utf8 = new TextDecoder();

/**
 * The canonical (RFC 8785) JSON text of a receipt v2 (docs/PROOFS.md §13), without a final newline.
 * Its members are written in their sorted order (`event`, `localProof`, `rootReceipt`, `version`),
 * and `rootReceipt` is receiptToJson of the root receipt, so the text is canonicalJson of the value.
 */
export function aggregatedReceiptToJson(receipt: AggregatedReceipt): string {
  const root = encodeUtf8(receiptToJson(receipt.rootReceipt));
  return utf8.decode(formatAggregatedReceipt(receipt.event, receipt.localProof, root));
}

/**
 * The same text as UTF-8 bytes, from the event, its local proof and the canonical JSON of the root
 * receipt as UTF-8 (receiptToJson, encoded once per local tree by a client writing every receipt of
 * it). Precondition: `rootReceiptJson` is exactly that; the result is then canonical.
 */
export function formatAggregatedReceipt(
  event: Uint8Array,
  localProof: ReceiptProof,
  rootReceiptJson: Uint8Array,
): Uint8Array {
  const leafIndex = ascii(String(localProof.leafIndex));
  const treeSize = ascii(String(localProof.treeSize));
  const hashes = localProof.hashes;
  let size = PART.open.length + base64Length(event.length) + PART.proof.length;
  for (const hash of hashes) size += base64Length(hash.length) + 2 + 1;
  size += PART.leafIndex.length + leafIndex.length + PART.treeSize.length + treeSize.length;
  size += PART.root.length + rootReceiptJson.length + PART.close.length;
  const out = new Uint8Array(size);
  let at = put(out, 0, PART.open);
  at = encodeBase64Into(event, out, at);
  at = put(out, at, PART.proof);
  hashes.forEach((hash, i) => {
    at = put(out, at, i === 0 ? PART.hashOpen : PART.hashNext);
    at = encodeBase64Into(hash, out, at);
  });
  if (hashes.length > 0) at = put(out, at, PART.hashClose);
  at = put(out, put(out, at, PART.leafIndex), leafIndex);
  at = put(out, put(out, at, PART.treeSize), treeSize);
  at = put(out, put(out, at, PART.root), rootReceiptJson);
  at = put(out, at, PART.close);
  return at === out.length ? out : out.subarray(0, at);
}

function put(target: Uint8Array, at: number, bytes: Uint8Array): number {
  target.set(bytes, at);
  return at + bytes.length;
}

/**
 * Parses a receipt v2 file (hostile input): step 1 of docs/PROOFS.md §13. The checks of receipt v1's
 * step 1 up to the version (RECEIPT_MALFORMED, RECEIPT_NOT_CANONICAL), UNSUPPORTED_VERSION for a
 * version other than 2, then the members (RECEIPT_MALFORMED): exactly `event`, `localProof`,
 * `rootReceipt`, `version`; a missing `rootReceipt` is refused with its own message (a local proof
 * alone proves nothing); `rootReceipt` is a receipt v1 (its `version` another number:
 * UNSUPPORTED_VERSION), checked as in §8 step 1.4.
 */
export function parseAggregatedReceiptJson(input: string | Uint8Array): AggregatedReceipt {
  const root = readReceiptValue(input);
  if (root.version !== AGGREGATED_RECEIPT_VERSION) {
    throw new ReceiptError(
      'UNSUPPORTED_VERSION',
      `receipt version ${root.version} is not an aggregated receipt (want 2)`,
    );
  }
  return aggregatedReceiptFromValue(root);
}

/** A receipt v2 from its JSON value (already of version 2): the member checks of step 1. */
export function aggregatedReceiptFromValue(value: Record<string, unknown>): AggregatedReceipt {
  if (value.rootReceipt === undefined && 'localProof' in value) {
    throw malformed(
      'rootReceipt is missing: a local proof without the server receipt of its root event proves nothing',
    );
  }
  const members = object(value, 'receipt', V2_KEYS, []);
  const rootValue = record(members.rootReceipt, 'rootReceipt');
  if (typeof rootValue.version !== 'number') throw malformed('rootReceipt.version must be the number 1');
  if (rootValue.version !== RECEIPT_VERSION_1) {
    throw new ReceiptError(
      'UNSUPPORTED_VERSION',
      `rootReceipt version ${rootValue.version} is not supported (want 1)`,
    );
  }
  const rootReceipt: Receipt = receiptFromValue(rootValue, 'rootReceipt');
  return {
    version: AGGREGATED_RECEIPT_VERSION,
    event: bytes(members.event, 'event'),
    localProof: proof(members.localProof, 'localProof'),
    rootReceipt,
  };
}
