export { digestSet, endpointText, isoMicros } from './export-text.js';
export {
  eventPredicate,
  IN_TOTO_STATEMENT_V1,
  type InTotoStatement,
  MSI_RECEIPT_PREDICATE_V1,
  receiptStatement,
} from './in-toto-statement.js';
export { MSI_PROV_NAMESPACE, type ProvDocument, provDocument } from './prov-document.js';
export {
  formatTlogProof,
  parseTlogProof,
  TLOG_PROOF_V1,
  type TlogProof,
  TlogProofError,
  tlogProofOfReceipt,
} from './tlog-proof.js';
