import { CodedError } from '../error/index.js';

/**
 * Why a COSE receipt (docs/PROOFS.md §16) was refused: a closed set. The codes of the levels below
 * the calendar are those of receipt v1 (§8), whose checks the COSE receipt shares.
 */
export type ScittFailureCode =
  | 'SCITT_MALFORMED' // step 1–3: not a COSE_Sign1 receipt of this profile (CBOR, shape, labels)
  | 'SCITT_UNSUPPORTED' // step 2–3: another algorithm, verifiable data structure or levels version
  | 'EVENT_MALFORMED' // step 4
  | 'SEAL_MALFORMED' // step 4
  | 'EVENT_PROOF_INVALID' // step 4
  | 'ROUND_MALFORMED' // step 4
  | 'SEAL_PROOF_INVALID' // step 4
  | 'ROUND_PROOF_INVALID' // step 5: the COSE inclusion proof does not lead from the round to a root
  | 'UNTRUSTED_KEY' // step 6: no trusted log key has the issuer's name and the kid
  | 'SIGNATURE_INVALID' // step 6: the COSE signature does not verify over the recomputed root
  | 'TREE_HEAD_MISMATCH'; // building only: the tree head is not of the receipt's checkpoint

export class ScittError extends CodedError<ScittFailureCode> {
  override readonly name = 'ScittError';
}
