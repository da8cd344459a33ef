export {
  formatPublication,
  formatPublicationTime,
  MAX_PUBLICATION_BYTES,
  MAX_PUBLICATION_TIME,
  PUBLICATION_HEADER,
  type Publication,
  parsePublication,
} from './publication.js';
export { PublicationError, type PublicationErrorCode } from './publication-error.js';
export {
  type VerifiedAgainstPublication,
  verifyReceiptAgainstPublication,
} from './verify-against-publication.js';
