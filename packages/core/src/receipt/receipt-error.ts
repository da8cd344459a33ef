import { CodedError } from '../error/coded-error.js';

/**
 * The step of receipt verification that failed (docs/PROOFS.md §8 and §13, "Verification algorithm"). A
 * closed set: callers (the CLI's exit status, the verifier API) switch on it, never on messages.
 */
export type ReceiptFailureCode =
  | 'RECEIPT_MALFORMED' // step 1: not JSON of the receipt's shape
  | 'RECEIPT_NOT_CANONICAL' // step 1: not the RFC 8785 serialisation of its value
  | 'UNSUPPORTED_VERSION' // step 1: version is not 1
  | 'EVENT_MALFORMED' // step 2
  | 'SEAL_MALFORMED' // step 3
  | 'EVENT_PROOF_INVALID' // step 3
  | 'ROUND_MALFORMED' // step 4
  | 'SEAL_PROOF_INVALID' // step 4
  | 'CHECKPOINT_MALFORMED' // step 5 / 7
  | 'ROUND_PROOF_INVALID' // step 5
  | 'UNTRUSTED_KEY' // step 6 / 7
  | 'SIGNATURE_INVALID' // step 6 / 7
  | 'EXTENSION_INVALID' // step 7
  | 'CONSISTENCY_PROOF_INVALID' // step 7
  | 'UNKNOWN_SIGNATURE' // step 8, strict mode: a signature line of a key the caller did not trust
  | 'COSIGNATURE_INVALID' // step 8
  | 'QUORUM_NOT_MET' // step 8
  | 'PUBLICATION_MISMATCH' // publications: neither the checkpoint nor the extension is the publication's
  | 'ROOT_EVENT_INVALID' // receipt v2, step 4: the root receipt's event is not a root event (§12)
  | 'LOCAL_PROOF_INVALID'; // receipt v2, step 5: the event is not that leaf of the local tree

export class ReceiptError extends CodedError<ReceiptFailureCode> {
  override readonly name = 'ReceiptError';
}
