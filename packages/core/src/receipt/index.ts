export { assembleReceipt, extendReceipt, type ReceiptParts } from './build-receipt.js';
export { proveExtension, receiptCodeOf } from './prove-extension.js';
export { RECEIPT_VERSION, type Receipt, type ReceiptExtension, type ReceiptProof } from './receipt.js';
export { ReceiptError, type ReceiptFailureCode } from './receipt-error.js';
export { parseReceiptJson, receiptToJson } from './receipt-json.js';
export {
  type CheckedProofs,
  checkReceiptProofs,
  type ReceiptCrypto,
  type ReceiptTrust,
  type VerifiedReceipt,
  verifyReceipt,
  type WitnessStatement,
} from './verify-receipt.js';
