export { AGGREGATED_RECEIPT_VERSION, type AggregatedReceipt } from './aggregated-receipt.js';
export {
  aggregatedReceiptFromValue,
  aggregatedReceiptToJson,
  formatAggregatedReceipt,
  parseAggregatedReceiptJson,
} from './aggregated-receipt-json.js';
export { assembleReceipt, extendReceipt, type ReceiptParts } from './build-receipt.js';
export { type CheckedAnchor, CheckedAnchors } from './checked-anchors.js';
export { proveExtension, receiptCodeOf } from './prove-extension.js';
export { RECEIPT_VERSION, type Receipt, type ReceiptExtension, type ReceiptProof } from './receipt.js';
export { ReceiptError, type ReceiptFailureCode } from './receipt-error.js';
export { parseReceiptJson, readReceiptValue, receiptFromValue, receiptToJson } from './receipt-json.js';
export {
  ReceiptVerifier,
  type ReceiptVerifierOptions,
  type VerifiedAnyReceipt,
} from './receipt-verifier.js';
export {
  type CheckedAggregatedProofs,
  checkAggregatedProofs,
  type VerifiedAggregatedReceipt,
  verifyAggregatedReceipt,
} from './verify-aggregated-receipt.js';
export {
  type CheckedProofs,
  checkReceiptProofs,
  checkReceiptSignatures,
  checkRecordProofs,
  directNoteChecks,
  type NoteChecks,
  type ReceiptCrypto,
  type ReceiptRecords,
  type ReceiptTrust,
  type VerifiedReceipt,
  verifyReceipt,
  type WitnessStatement,
} from './verify-receipt.js';
