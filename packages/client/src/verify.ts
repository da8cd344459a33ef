// @msi/client/verify: offline receipt verification, with no I/O and no Node API, so it runs in
// browsers as well as in Node. Receipt v1 (docs/PROOFS.md §8) and v2 (§13, aggregated events).
export {
  type AggregatedEvent,
  type AggregatedReceipt,
  type DataEvent,
  decodeAggregatedEvent,
  decodeEvent,
  formatImprint,
  formatUuid,
  type NoteVerifierKey,
  parseAggregatedReceiptJson,
  parseReceiptJson,
  parseVerifierKey,
  portableEd25519,
  type Receipt,
  type ReceiptCrypto,
  ReceiptError,
  type ReceiptFailureCode,
  type ReceiptTrust,
  ReceiptVerifier,
  type ReceiptVerifierOptions,
  type VerifiedAggregatedReceipt,
  type VerifiedAnyReceipt,
  type VerifiedReceipt,
  verifyAggregatedReceipt,
  verifyReceipt,
} from '@msi/core';
export { portableHasher } from '@msi/merkle';
