export { CborError, type CborMap, type CborTag, type CborValue, decodeCbor, encodeCbor } from './cbor.js';
export { type CoseReceipt, coseReceiptOf, MSI_LEVELS_VERSION, readCoseReceipt } from './cose-receipt.js';
export {
  COSE_ALG_EDDSA,
  COSE_SIGN1_TAG,
  COSE_VDP,
  COSE_VDS,
  type CoseTreeHead,
  coseProtectedHeader,
  coseSigStructure,
  MSI_LEVELS_LABEL,
  MSI_TREE_SIZE_LABEL,
  readCoseTreeHead,
  signCoseTreeHead,
  VDP_INCLUSION,
  VDS_RFC9162_SHA256,
} from './cose-tree-head.js';
export { ScittError, type ScittFailureCode } from './scitt-error.js';
export { type VerifiedCoseReceipt, verifyCoseReceipt } from './verify-cose-receipt.js';
