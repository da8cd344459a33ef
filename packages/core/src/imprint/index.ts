export {
  type AcceptedAlgorithm,
  algorithmById,
  algorithmByName,
  HASH_ALGORITHMS,
  type HashAlgorithm,
  type HashAlgorithmInfo,
} from './hash-algorithms.js';
export {
  checkImprint,
  encodeImprint,
  type Imprint,
  imprintEquals,
  makeImprint,
  parseImprint,
} from './imprint.js';
export { ImprintError, type ImprintErrorCode } from './imprint-error.js';
export { imprintOf } from './imprint-of.js';
export { formatImprint, parseImprintText } from './imprint-text.js';
